# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""Magnum's database and objects on SQLite, for bay driver tests.

Built on Magnum's own ``DbTestCase`` (its schema, its ``ConfFixture`` with an
in-memory SQLite URL, its policy fixture). ``make_template`` and
``make_cluster`` create real ``magnum.objects`` rows the way Magnum's API
does before it hands a cluster to a driver.

Import this module only in the Magnum-side test process.
"""

from magnum import objects
from magnum.objects import fields
from magnum.tests.unit.db import base as magnum_db_base
from oslo_utils import uuidutils


class MagnumDbTestCase(magnum_db_base.DbTestCase):
    """Magnum objects on a fresh SQLite database for every test."""

    def make_template(self, **fields_):
        values = dict(
            uuid=uuidutils.generate_uuid(), name='template-%s' % uuidutils
            .generate_uuid()[:8], project_id=self.context.project_id,
            user_id=self.context.user_id, coe='kubernetes',
            image_id='dos/busybox:latest', server_type='vm',
            network_driver='docker', docker_volume_size=None,
            tls_disabled=False, public=False, labels={}, hidden=False,
            master_lb_enabled=False, floating_ip_enabled=False,
            registry_enabled=False, cluster_distro='docker')
        values.update(fields_)
        template = objects.ClusterTemplate(self.context, **values)
        template.create()
        return template

    def make_cluster(self, template, master_count=1, node_count=1, **fields_):
        values = dict(
            uuid=uuidutils.generate_uuid(),
            name='bay-%s' % uuidutils.generate_uuid()[:8],
            project_id=self.context.project_id, user_id=self.context.user_id,
            cluster_template_id=template.uuid, create_timeout=60,
            status=fields.ClusterStatus.CREATE_IN_PROGRESS, labels={},
            master_flavor_id=None, flavor_id=None, keypair=None)
        values.update(fields_)
        cluster = objects.Cluster(self.context, **values)
        # Magnum's API builds the default nodegroups along with the cluster.
        cluster.create()
        for role, count in (('master', master_count), ('worker', node_count)):
            objects.NodeGroup(
                self.context, uuid=uuidutils.generate_uuid(),
                name='default-%s' % role, cluster_id=cluster.uuid,
                project_id=cluster.project_id, role=role,
                node_count=count, min_node_count=1, is_default=True,
                image_id=template.image_id, labels={}).create()
        return objects.Cluster.get_by_uuid(self.context, cluster.uuid)

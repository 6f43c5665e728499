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

"""Magnum's objects persist on SQLite and a cluster moves through its statuses."""

from magnum import objects
from magnum.objects import fields

from tests.rig import magnum as magnum_rig


class TestMagnumRig(magnum_rig.MagnumDbTestCase):

    def test_template_and_cluster_round_trip(self):
        template = self.make_template(coe='kubernetes', labels={'a': 'b'})
        cluster = self.make_cluster(template, master_count=3, node_count=2)
        loaded = objects.Cluster.get_by_uuid(self.context, cluster.uuid)
        self.assertEqual(template.uuid, loaded.cluster_template_id)
        self.assertEqual(3, loaded.master_count)
        self.assertEqual(2, loaded.node_count)
        self.assertEqual({'a': 'b'}, loaded.cluster_template.labels)

        loaded.status = fields.ClusterStatus.CREATE_COMPLETE
        loaded.health_status = fields.ClusterHealthStatus.HEALTHY
        loaded.save()
        again = objects.Cluster.get_by_uuid(self.context, cluster.uuid)
        self.assertEqual('CREATE_COMPLETE', again.status)
        self.assertEqual('HEALTHY', again.health_status)

        again.destroy()
        self.assertEqual([], objects.Cluster.list(self.context))

    def test_each_test_gets_a_fresh_database(self):
        self.assertEqual([], objects.Cluster.list(self.context))
        self.assertEqual([], objects.ClusterTemplate.list(self.context))

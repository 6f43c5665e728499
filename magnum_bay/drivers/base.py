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

"""The interface every bay driver implements; it mirrors Magnum's Driver.

Method names and arguments follow ``magnum.drivers.common.driver.Driver`` so
that one driver can serve both the project's bay service and (through a thin
adapter) real Magnum. ``context`` here is a ``magnum_bay.context.BayContext``
and ``cluster`` a cluster row as a dict. A driver does the work and returns
the cluster fields it changed; the bay service owns the status lifecycle.
"""

import abc

from magnum_bay import exception
from magnum_bay import fields


class BayDriver(metaclass=abc.ABCMeta):
    coe = None
    # Magnum's (server_type, os, coe) triples.
    provides = ()
    # Whether create_nodegroup / delete_nodegroup do something.
    nodegroups_supported = False

    def __init__(self, conf):
        self.conf = conf

    def default_image(self):
        """The node image a template gets when it names none."""
        return None

    # -- validation (before anything is created) --------------------------

    def validate_template(self, context, template):
        """Raise InvalidParameter naming the field that is wrong."""
        for key in ('master_count', 'node_count'):
            value = template.get(key)
            if value is not None and value < 1:
                raise exception.InvalidParameter(
                    field=key, reason='must be at least 1, got %s' % value)

    def validate_master_size(self, count):
        # Raft (swarm managers, etcd, ZooKeeper) needs an odd quorum size.
        if count < 1 or count % 2 == 0:
            raise exception.InvalidParameter(
                field='master_count',
                reason='must be an odd number >= 1 for a %s bay (a quorum '
                       'of managers), got %s' % (self.coe, count))

    def validate_node_count(self, count, field='node_count'):
        if count < 1:
            raise exception.InvalidParameter(
                field=field, reason='must be at least 1, got %s' % count)

    # -- lifecycle --------------------------------------------------------

    @abc.abstractmethod
    def create_cluster(self, context, cluster, cluster_create_timeout):
        """Bring the bay up; return changed cluster fields."""

    @abc.abstractmethod
    def update_cluster(self, context, cluster, scale_manager=None,
                       rollback=False):
        """Bring the bay back to what its nodegroups say (repair)."""

    @abc.abstractmethod
    def resize_cluster(self, context, cluster, resize_manager, node_count,
                       nodes_to_remove, nodegroup=None):
        """Change a nodegroup's size; drain nodes before removing them."""

    @abc.abstractmethod
    def upgrade_cluster(self, context, cluster, cluster_template,
                        max_batch_size, nodegroup, scale_manager=None,
                        rollback=False):
        """Move the nodes to the template's image, a few at a time."""

    @abc.abstractmethod
    def delete_cluster(self, context, cluster):
        """Remove everything the bay made."""

    def pre_delete_cluster(self, context, cluster):
        return None

    def create_nodegroup(self, context, cluster, nodegroup):
        raise exception.NotSupported(operation='create_nodegroup',
                                     coe=self.coe)

    def update_nodegroup(self, context, cluster, nodegroup):
        return self.resize_cluster(context, cluster, None,
                                   nodegroup['node_count'], [], nodegroup)

    def delete_nodegroup(self, context, cluster, nodegroup):
        raise exception.NotSupported(operation='delete_nodegroup',
                                     coe=self.coe)

    # -- status -----------------------------------------------------------

    def update_cluster_status(self, context, cluster):
        """Return (health_status, health_status_reason dict)."""
        return fields.UNKNOWN, {'driver': 'no health check'}

    def get_monitor(self, context, cluster):
        return None

    def rotate_ca_certificate(self, context, cluster):
        raise exception.NotSupported(operation='rotate_ca_certificate',
                                     coe=self.coe)

    # -- credentials ------------------------------------------------------

    @abc.abstractmethod
    def config_files(self, context, cluster, client_pair, ca_cert_pem):
        """{file name: text} a user needs to reach the bay's API."""

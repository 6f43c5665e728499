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

"""Tables for cluster templates, clusters, their nodegroups and certificates.

Field names follow Magnum's so that a template or a cluster reads the same
here as in ``openstack coe``; only the fields that mean something for
container-built bays are kept.
"""

import datetime

import sqlalchemy as sa
from sqlalchemy import orm


def _now():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class Base(orm.DeclarativeBase):
    type_annotation_map = {dict: sa.JSON, list: sa.JSON}

    def as_dict(self):
        return {c.name: getattr(self, c.name) for c in self.__table__.columns}


class TimestampMixin:
    created_at = sa.Column(sa.DateTime, default=_now, nullable=False)
    updated_at = sa.Column(sa.DateTime, onupdate=_now)


class ClusterTemplate(TimestampMixin, Base):
    __tablename__ = 'cluster_template'
    id = sa.Column(sa.Integer, primary_key=True)
    uuid = sa.Column(sa.String(36), unique=True, nullable=False)
    name = sa.Column(sa.String(255), nullable=False, index=True)
    project_id = sa.Column(sa.String(255))
    user_id = sa.Column(sa.String(255))
    coe = sa.Column(sa.String(32), nullable=False)
    image_id = sa.Column(sa.String(255), nullable=False)
    flavor_id = sa.Column(sa.String(255))
    master_flavor_id = sa.Column(sa.String(255))
    keypair_id = sa.Column(sa.String(255))
    dns_nameserver = sa.Column(sa.String(255))
    external_network_id = sa.Column(sa.String(255))
    fixed_network = sa.Column(sa.String(255))
    fixed_subnet = sa.Column(sa.String(255))
    network_driver = sa.Column(sa.String(255))
    volume_driver = sa.Column(sa.String(255))
    apiserver_port = sa.Column(sa.Integer)
    docker_volume_size = sa.Column(sa.Integer)
    docker_storage_driver = sa.Column(sa.String(255))
    cluster_distro = sa.Column(sa.String(255))
    http_proxy = sa.Column(sa.String(255))
    https_proxy = sa.Column(sa.String(255))
    no_proxy = sa.Column(sa.String(255))
    registry_enabled = sa.Column(sa.Boolean, default=False)
    insecure_registry = sa.Column(sa.String(255))
    labels = sa.Column(sa.JSON, default=dict)
    tls_disabled = sa.Column(sa.Boolean, default=False)
    public = sa.Column(sa.Boolean, default=False)
    server_type = sa.Column(sa.String(255))
    master_lb_enabled = sa.Column(sa.Boolean, default=False)
    floating_ip_enabled = sa.Column(sa.Boolean, default=False)
    hidden = sa.Column(sa.Boolean, default=False)
    tags = sa.Column(sa.String(255))
    driver = sa.Column(sa.String(255))
    master_count = sa.Column(sa.Integer, default=1)
    node_count = sa.Column(sa.Integer, default=1)


class Cluster(TimestampMixin, Base):
    __tablename__ = 'cluster'
    id = sa.Column(sa.Integer, primary_key=True)
    uuid = sa.Column(sa.String(36), unique=True, nullable=False)
    name = sa.Column(sa.String(255), nullable=False, index=True)
    project_id = sa.Column(sa.String(255))
    user_id = sa.Column(sa.String(255))
    cluster_template_id = sa.Column(
        sa.String(36), sa.ForeignKey('cluster_template.uuid'),
        nullable=False)
    coe = sa.Column(sa.String(32), nullable=False)
    image_id = sa.Column(sa.String(255))
    keypair = sa.Column(sa.String(255))
    docker_volume_size = sa.Column(sa.Integer)
    labels = sa.Column(sa.JSON, default=dict)
    flavor_id = sa.Column(sa.String(255))
    master_flavor_id = sa.Column(sa.String(255))
    status = sa.Column(sa.String(32), nullable=False)
    status_reason = sa.Column(sa.Text)
    health_status = sa.Column(sa.String(32))
    health_status_reason = sa.Column(sa.JSON, default=dict)
    create_timeout = sa.Column(sa.Integer)
    api_address = sa.Column(sa.String(255))
    discovery_url = sa.Column(sa.String(255))
    coe_version = sa.Column(sa.String(255))
    container_version = sa.Column(sa.String(255))
    master_addresses = sa.Column(sa.JSON, default=list)
    node_addresses = sa.Column(sa.JSON, default=list)
    ca_cert_ref = sa.Column(sa.String(255))
    magnum_cert_ref = sa.Column(sa.String(255))
    # Driver-owned facts (network id, swarm id, ...), opaque to the service.
    driver_state = sa.Column(sa.JSON, default=dict)


class NodeGroup(TimestampMixin, Base):
    __tablename__ = 'nodegroup'
    __table_args__ = (sa.UniqueConstraint('cluster_id', 'name'),)
    id = sa.Column(sa.Integer, primary_key=True)
    uuid = sa.Column(sa.String(36), unique=True, nullable=False)
    name = sa.Column(sa.String(255), nullable=False)
    cluster_id = sa.Column(sa.String(36), sa.ForeignKey('cluster.uuid'),
                           nullable=False)
    project_id = sa.Column(sa.String(255))
    role = sa.Column(sa.String(32), nullable=False)
    image_id = sa.Column(sa.String(255))
    flavor_id = sa.Column(sa.String(255))
    labels = sa.Column(sa.JSON, default=dict)
    node_count = sa.Column(sa.Integer, nullable=False)
    min_node_count = sa.Column(sa.Integer, default=1)
    max_node_count = sa.Column(sa.Integer)
    is_default = sa.Column(sa.Boolean, default=True)
    status = sa.Column(sa.String(32))
    status_reason = sa.Column(sa.Text)
    node_addresses = sa.Column(sa.JSON, default=list)


class Certificate(TimestampMixin, Base):
    """A bay's CA and the client certificates made from it.

    ``kind`` is ``ca``, ``ca-previous`` (kept during a rotation) or
    ``client``. Private keys live only here and in the nodes that need
    them; they are never logged.
    """
    __tablename__ = 'bay_certificate'
    __table_args__ = (sa.UniqueConstraint('cluster_id', 'kind'),)
    id = sa.Column(sa.Integer, primary_key=True)
    cluster_id = sa.Column(sa.String(36), sa.ForeignKey('cluster.uuid'),
                           nullable=False)
    kind = sa.Column(sa.String(32), nullable=False)
    cert_pem = sa.Column(sa.Text, nullable=False)
    key_pem = sa.Column(sa.Text)

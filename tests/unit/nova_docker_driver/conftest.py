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

"""The Docker driver on the fake engine backend: no engine, no root, no DB.

``driver`` is a ``DockerDriver`` loaded the way nova-compute loads it, with
``[docker] backend = fake``; ``driver.backend`` is the in-memory engine the
test seeds and breaks. Glance is a stand-in holding records and tarballs;
the config-drive builder (which reads Nova's database and Neutron) is
replaced by one that returns a fixed tree; netlink is ``FakeNetlink``.
"""

import os

os.environ.setdefault('OS_NOVA_DISABLE_EVENTLET_PATCHING', '1')

# Nova's functional package picks the threading mode before eventlet can
# be imported by anything else (the Nova test group shares one process).
import nova.tests.functional  # noqa: E402,F401,I100

from nova import context as nova_context  # noqa: E402
from nova import exception as nova_exc  # noqa: E402
from nova import objects  # noqa: E402
from nova.tests.unit import fake_instance  # noqa: E402
from nova.virt import fake as fake_virt  # noqa: E402
import pytest  # noqa: E402

from nova_docker_driver import driver as docker_driver  # noqa: E402
from nova_docker_driver import inject  # noqa: E402
from nova_docker_driver.network import linux_net  # noqa: E402
from nova_docker_driver.network import ovsdb  # noqa: E402

objects.register_all()
CONF = docker_driver.CONF

ENGINE_IMAGE = '0b6f1b5e-2a46-4f42-8bd5-2f5a2c2a0001'
TARBALL_IMAGE = '0b6f1b5e-2a46-4f42-8bd5-2f5a2c2a0002'
ENGINE_REF = 'dos/idle:latest'
DRIVE_FILES = [('openstack/latest/meta_data.json', b'{"uuid": "x"}', 0o644)]


class FakeGlance:
    """What ImageLoader asks of Nova's Glance API: records and data."""

    def __init__(self):
        self.records = {}
        self.data = {}
        self.downloads = []
        self.created = []
        self.deleted = []
        self.refuse_create = False

    def add(self, image_id, container_format='docker', data=None, **props):
        self.records[image_id] = {
            'id': image_id, 'status': 'active', 'disk_format': 'raw',
            'container_format': container_format, 'properties': props}
        if data is not None:
            self.data[image_id] = data

    def get(self, context, image_id):
        if image_id not in self.records:
            raise nova_exc.ImageNotFound(image_id=image_id)
        return self.records[image_id]

    def update(self, context, image_id, metadata, data=None,
               purge_props=False):
        """A snapshot upload: the record's new metadata and its data."""
        record = self.get(context, image_id)
        record.update(metadata)
        self.data[image_id] = b''.join(iter(data)) if data else b''
        record['status'] = 'active'
        return record

    def download(self, context, image_id, dest_path=None):
        self.downloads.append(image_id)
        if dest_path is None:
            # Nova's API hands back the chunks when given nowhere to write.
            if image_id not in self.records:
                raise nova_exc.ImageNotFound(image_id=image_id)
            data = self.data.get(image_id, b'')
            return iter([data[i:i + 512] for i in range(0, len(data), 512)])
        with open(dest_path, 'wb') as f:
            f.write(self.data.get(image_id, b''))

    def create(self, context, image_meta, data=None):
        """A new (queued) image record, as Nova's API creates one."""
        if self.refuse_create:
            raise nova_exc.ImageNotAuthorized(image_id='new image')
        image_id = 'img-%d' % (len(self.created) + 1)
        self.created.append(image_id)
        record = dict(image_meta, id=image_id, status='queued')
        record['properties'] = dict(image_meta.get('properties') or {})
        self.records[image_id] = record
        return record

    def delete(self, context, image_id):
        if self.records.pop(image_id, None) is None:
            raise nova_exc.ImageNotFound(image_id=image_id)
        self.data.pop(image_id, None)
        self.deleted.append(image_id)


class FakeNetlink:
    """Host links and container namespaces, kept in dicts.

    Stands in for the privileged ``linux_net`` calls; ``host`` maps a host
    link's name to its ifalias, ``netns`` a pid to its links, ``named`` the
    name of a named network namespace (``[docker_network] host_netns``) to
    its own {link name: ifalias}.
    """

    def __init__(self):
        self.host = {}
        self.netns = {}
        self.named = {}
        self.calls = []
        self.configs = []

    def install(self, monkeypatch):
        for name in ('host_link', 'host_links_with_alias', 'create_veth',
                     'delete_link', 'ensure_bridge', 'set_host_end',
                     'move_host_end', 'netns_links', 'wire_peer',
                     'configure_in_netns', 'delete_in_netns'):
            monkeypatch.setattr(linux_net, name, getattr(self, name))
        monkeypatch.setattr(ovsdb, 'reachable', lambda: False)
        monkeypatch.setattr(ovsdb, 'available', lambda: False)

    def _space(self, netns):
        if netns is None:
            return self.host
        if netns not in self.named:
            raise linux_net.NetnsUnusable(
                'cannot open network namespace %s' % netns)
        return self.named[netns]

    def host_link(self, name, netns=None):
        space = self._space(netns)
        if name not in space:
            return None
        return {'index': 1, 'kind': 'veth', 'master': None,
                'alias': space[name], 'state': 'up', 'mtu': 1500,
                'peer_elsewhere': False}

    def host_links_with_alias(self, alias, netns=None):
        return sorted(n for n, a in self._space(netns).items()
                      if a == alias)

    def create_veth(self, host_name, peer_name, mtu, alias):
        self.calls.append(('create_veth', host_name))
        self.host[host_name] = alias
        self.host[peer_name] = alias

    def move_host_end(self, name, netns, alias):
        self.calls.append(('move_host_end', name, netns))
        space = self._space(netns)
        if name not in self.host:
            raise linux_net.NetlinkStepFailed('host link %s vanished'
                                              % name)
        self.host.pop(name)
        space[name] = alias

    def delete_link(self, name, netns=None):
        self.calls.append(('delete_link', name) if netns is None
                          else ('delete_link', name, netns))
        return self._space(netns).pop(name, None) is not None

    def ensure_bridge(self, name, create, netns=None):
        self.calls.append(('ensure_bridge', name) if netns is None
                          else ('ensure_bridge', name, netns))

    def set_host_end(self, name, master=None, netns=None):
        self.calls.append(('set_host_end', name) if netns is None
                          else ('set_host_end', name, netns))

    def netns_links(self, pid):
        # Every pid of the fake engine has a namespace, fresh at first use.
        return [dict(link) for link in self.netns.setdefault(pid, [])]

    def wire_peer(self, pid, peer_name, config):
        self.calls.append(('wire_peer', pid, config['ifname']))
        self.configs.append(dict(config))
        self.host.pop(peer_name, None)
        self.netns.setdefault(pid, []).append({'ifname': config['ifname'],
                                'address': config['mac'], 'index': 2})

    def configure_in_netns(self, pid, ifname, config):
        self.calls.append(('configure_in_netns', pid, ifname))

    def delete_in_netns(self, pid, mac):
        self.netns[pid] = [link for link in self.netns.get(pid, [])
                           if link['address'] != mac]


@pytest.fixture
def docker_conf(tmp_path):
    """[docker] options of a host whose engine is the fake backend."""
    overrides = {'backend': 'fake', 'lifecycle_events': False,
                 'instances_dir': str(tmp_path / 'instances'),
                 'image_cache_dir': str(tmp_path / 'image-cache')}
    for name, value in overrides.items():
        CONF.set_override(name, value, group='docker')
    CONF.set_override('host', 'fake-compute')
    yield CONF
    for name in overrides:
        CONF.clear_override(name, group='docker')
    CONF.clear_override('host')


@pytest.fixture
def netlink(monkeypatch):
    fake = FakeNetlink()
    fake.install(monkeypatch)
    return fake


@pytest.fixture
def driver(docker_conf, monkeypatch, netlink):
    monkeypatch.setattr(inject, 'config_drive_files',
                        lambda instance, files, network_info: DRIVE_FILES)
    drv = docker_driver.DockerDriver(fake_virt.FakeVirtAPI())
    drv.glance = FakeGlance()
    drv._images._image_api = drv.glance
    drv._snapshots._image_api = drv.glance
    drv._moves._image_api = drv.glance
    drv.backend.add_image(ENGINE_REF, config={'User': 'root'})
    drv.glance.add(ENGINE_IMAGE, docker_image=ENGINE_REF)
    yield drv
    drv.cleanup_host(drv._host)


@pytest.fixture
def backend(driver):
    return driver.backend


@pytest.fixture
def context():
    return nova_context.get_admin_context()


def make_flavor(memory_mb=256, vcpus=1, root_gb=1, **extra_specs):
    return objects.Flavor(id=1, name='f1', flavorid='1', memory_mb=memory_mb,
                          vcpus=vcpus, root_gb=root_gb, ephemeral_gb=0,
                          swap=0, rxtx_factor=1.0, vcpu_weight=1,
                          disabled=False, is_public=True, projects=[],
                          extra_specs=extra_specs)


def make_instance(context, image_id=ENGINE_IMAGE, flavor=None,
                  sysmeta=None, **updates):
    """An Instance object as the compute manager hands it to spawn."""
    if sysmeta is None and image_id == ENGINE_IMAGE:
        sysmeta = {'image_docker_image': ENGINE_REF}
    updates.setdefault('host', 'fake-compute')
    updates.setdefault('key_data', None)
    inst = fake_instance.fake_instance_obj(
        context, image_ref=image_id, flavor=flavor or make_flavor(),
        system_metadata=sysmeta or {},
        expected_attrs=['system_metadata', 'metadata', 'info_cache'],
        **updates)
    # Lazy-loaded from the database otherwise.
    inst.numa_topology = None
    inst.obj_reset_changes()
    return inst


def image_meta(image_id=ENGINE_IMAGE, container_format='docker', **props):
    return objects.ImageMeta.from_dict({
        'id': image_id, 'container_format': container_format,
        'disk_format': 'raw', 'properties': props})

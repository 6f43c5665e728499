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

"""linux_net's host side in a named namespace, and the tx checksum ioctl,
on fake netlink sockets (no root, no kernel)."""

import os

os.environ.setdefault('OS_NOVA_DISABLE_EVENTLET_PATCHING', '1')

import nova.tests.functional  # noqa: E402,F401,I100

import ctypes  # noqa: E402
import struct  # noqa: E402

import pytest  # noqa: E402
from pyroute2.netlink.exceptions import NetlinkError  # noqa: E402

from nova_docker_driver.network import linux_net  # noqa: E402
from nova_docker_driver.network import privsep  # noqa: E402


class FakeLink(dict):
    def get_nested(self, *path):
        return self.get('kind')


class FakeIPRoute:
    """One namespace's links: {name: FakeLink}; records every change."""

    def __init__(self, links=(), fail=None):
        self.links = {}
        self.calls = []
        self.fail = fail or {}
        for i, (name, attrs) in enumerate(links, start=2):
            self.links[name] = FakeLink(index=i, ifname=name, **attrs)

    def __call__(self):
        return self

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def _by_index(self, index):
        for link in self.links.values():
            if link['index'] == index:
                return link
        raise NetlinkError(19)

    def link_lookup(self, ifname):
        return [self.links[ifname]['index']] if ifname in self.links else []

    def get_links(self, *indexes):
        if not indexes:
            return list(self.links.values())
        return [self._by_index(i) for i in indexes]

    def link(self, cmd, **kwargs):
        self.calls.append((cmd, kwargs))
        key = (cmd, tuple(sorted(k for k in kwargs if k != 'index')))
        if key in self.fail:
            raise NetlinkError(self.fail[key])
        if cmd == 'add':
            self.links[kwargs['ifname']] = FakeLink(
                index=100 + len(self.links), ifname=kwargs['ifname'],
                kind=kwargs.get('kind'))
        elif cmd == 'del':
            link = self._by_index(kwargs['index'])
            del self.links[link['ifname']]
        elif cmd == 'set' and 'net_ns_fd' in kwargs:
            link = self._by_index(kwargs['index'])
            del self.links[link['ifname']]
        elif cmd == 'set' and 'ifalias' in kwargs:
            self._by_index(kwargs['index'])['IFLA_IFALIAS'] = \
                kwargs['ifalias']


@pytest.fixture
def named(tmp_path, monkeypatch):
    """NETNS_DIR in a temp folder holding 'ns1'; _in_netns on a fake."""
    (tmp_path / 'ns1').write_text('')
    monkeypatch.setattr(linux_net, 'NETNS_DIR', str(tmp_path))
    inner = FakeIPRoute()
    entered = []

    def fake_in_netns(fd, func, *args):
        entered.append(os.readlink('/proc/self/fd/%d' % fd))
        return func(inner, *args)

    monkeypatch.setattr(linux_net, '_in_netns', fake_in_netns)
    inner.entered = entered
    inner.path = str(tmp_path / 'ns1')
    return inner


@pytest.fixture
def root(monkeypatch):
    ipr = FakeIPRoute()
    monkeypatch.setattr(linux_net, 'IPRoute', ipr)
    return ipr


@pytest.fixture(autouse=True)
def in_process():
    privsep.run_in_process()
    yield
    privsep.run_in_process(False)


@pytest.mark.parametrize('name', ['', 'a/b', '.', '..', None])
def test_bad_namespace_names_are_refused(name):
    with pytest.raises(linux_net.NetnsUnusable) as err:
        linux_net.netns_path(name)
    assert 'not a network namespace name' in str(err.value)


def test_missing_namespace_names_its_path(named, root):
    with pytest.raises(linux_net.NetnsUnusable) as err:
        linux_net.delete_link('tapx', netns='nope')
    assert 'nope' in str(err.value)
    assert os.path.join(linux_net.NETNS_DIR, 'nope') in str(err.value)
    assert named.entered == [] and root.calls == []


def test_host_side_calls_run_in_the_named_namespace(named, root):
    named.links['tapx'] = FakeLink(index=7, ifname='tapx', kind='veth',
                                   IFLA_IFALIAS='nova-docker:u1')
    assert linux_net.ensure_bridge('brq1', True, netns='ns1') is True
    linux_net.set_host_end('tapx', master='brq1', netns='ns1')
    bridge_index = named.links['brq1']['index']
    assert ('set', {'index': 7, 'master': bridge_index}) in named.calls
    assert ('set', {'index': 7, 'state': 'up'}) in named.calls
    assert linux_net.host_links_with_alias('nova-docker:u1',
                                           netns='ns1') == ['tapx']
    link = linux_net.host_link('tapx', netns='ns1')
    assert link['alias'] == 'nova-docker:u1' and link['kind'] == 'veth'
    assert linux_net.delete_link('tapx', netns='ns1') is True
    assert linux_net.delete_link('tapx', netns='ns1') is False
    assert linux_net.host_link('tapx', netns='ns1') is None
    # Every call entered ns1 and nothing touched this namespace.
    assert set(named.entered) == {named.path}
    assert len(named.entered) == 7
    assert root.calls == []


def test_without_netns_the_calls_stay_here(named, root):
    root.links['tapy'] = FakeLink(index=3, ifname='tapy', kind='veth',
                                  IFLA_IFALIAS='a')
    assert linux_net.host_link('tapy')['index'] == 3
    assert linux_net.host_links_with_alias('a') == ['tapy']
    linux_net.set_host_end('tapy')
    assert linux_net.delete_link('tapy') is True
    assert named.entered == []


def test_lookups_in_a_namespace_are_privileged():
    # Reading another namespace's links needs setns (CAP_SYS_ADMIN).
    for func in (linux_net._host_link_in, linux_net._host_links_with_alias_in,
                 linux_net.move_host_end):
        assert privsep.vif_plug.is_entrypoint(func), func
    assert not privsep.vif_plug.is_entrypoint(linux_net.host_link)


def test_lookup_in_a_namespace_goes_through_the_entrypoint(monkeypatch):
    seen = []
    monkeypatch.setattr(linux_net, '_host_link_in',
                        lambda netns, name: seen.append((netns, name)))
    monkeypatch.setattr(linux_net, '_host_links_with_alias_in',
                        lambda netns, alias: seen.append((netns, alias)) or
                        [])
    linux_net.host_link('tapz', netns='ns1')
    linux_net.host_links_with_alias('al', netns='ns1')
    assert seen == [('ns1', 'tapz'), ('ns1', 'al')]


def test_move_host_end_moves_then_sets_the_alias_there(named, root):
    root.links['tapm'] = FakeLink(index=5, ifname='tapm', kind='veth')

    def arrive(cmd, **kwargs):
        FakeIPRoute.link(root, cmd, **kwargs)
        if 'net_ns_fd' in kwargs:
            # The kernel keeps the name; the alias is not relied upon.
            named.links['tapm'] = FakeLink(index=9, ifname='tapm',
                                           kind='veth')
    root.link = arrive
    linux_net.move_host_end('tapm', 'ns1', 'nova-docker:u2')
    (cmd, kwargs), = root.calls
    assert cmd == 'set' and kwargs['index'] == 5 and 'net_ns_fd' in kwargs
    assert 'tapm' not in root.links
    assert named.links['tapm']['IFLA_IFALIAS'] == 'nova-docker:u2'
    assert named.entered == [named.path]


def test_move_of_a_vanished_link_fails_by_name(named, root):
    with pytest.raises(linux_net.NetlinkStepFailed) as err:
        linux_net.move_host_end('tapgone', 'ns1', 'a')
    assert 'tapgone vanished' in str(err.value)


def test_move_refused_by_the_kernel_names_the_step(named, root):
    root.links['tapm'] = FakeLink(index=5, ifname='tapm', kind='veth')
    root.fail[('set', ('net_ns_fd',))] = 17
    with pytest.raises(linux_net.NetlinkStepFailed) as err:
        linux_net.move_host_end('tapm', 'ns1', 'a')
    assert 'move tapm into network namespace ns1' in str(err.value)
    assert 'File exists' in str(err.value)
    assert named.entered == []


def test_move_that_lost_the_link_on_arrival_fails(named, root):
    root.links['tapm'] = FakeLink(index=5, ifname='tapm', kind='veth')
    with pytest.raises(linux_net.NetlinkStepFailed) as err:
        linux_net.move_host_end('tapm', 'ns1', 'a')
    assert 'vanished from network namespace ns1' in str(err.value)


def test_alias_refused_after_the_move_names_the_step(named, root):
    root.links['tapm'] = FakeLink(index=5, ifname='tapm', kind='veth')
    named.links['tapm'] = FakeLink(index=9, ifname='tapm', kind='veth')
    named.fail[('set', ('ifalias',))] = 22
    with pytest.raises(linux_net.NetlinkStepFailed) as err:
        linux_net.move_host_end('tapm', 'ns1', 'a')
    assert 'set alias of tapm in network namespace ns1' in str(err.value)


def test_move_into_a_missing_namespace_touches_nothing(named, root):
    root.links['tapm'] = FakeLink(index=5, ifname='tapm', kind='veth')
    with pytest.raises(linux_net.NetnsUnusable):
        linux_net.move_host_end('tapm', 'absent', 'a')
    assert root.calls == [] and 'tapm' in root.links


def test_missing_bridge_in_the_namespace_without_create(named, root):
    with pytest.raises(linux_net.NetlinkStepFailed) as err:
        linux_net.ensure_bridge('brq2', False, netns='ns1')
    assert 'create_bridges is false' in str(err.value)


def test_bridge_created_meanwhile_is_fine_but_other_errors_are_not(named,
                                                                   root):
    named.fail[('add', ('ifname', 'kind'))] = 17
    named.links['brq3'] = FakeLink(index=4, ifname='brq3', kind='bridge')
    assert linux_net.ensure_bridge('brq3', True, netns='ns1') is False
    named.fail[('add', ('ifname', 'kind'))] = 1
    with pytest.raises(linux_net.NetlinkStepFailed) as err:
        linux_net.ensure_bridge('brq4', True, netns='ns1')
    assert 'create bridge brq4' in str(err.value)


def test_set_host_end_errors_name_link_and_bridge(named, root):
    with pytest.raises(linux_net.NetlinkStepFailed) as err:
        linux_net.set_host_end('tapq', netns='ns1')
    assert 'tapq vanished' in str(err.value)
    named.links['tapq'] = FakeLink(index=6, ifname='tapq', kind='veth')
    with pytest.raises(linux_net.NetlinkStepFailed) as err:
        linux_net.set_host_end('tapq', master='brmissing', netns='ns1')
    assert 'bridge brmissing vanished' in str(err.value)


# ------------------------------------------------------- tx checksum ioctl
def test_ethtool_ioctl_passes_a_pointer_to_an_ethtool_value(monkeypatch):
    seen = {}

    def fake_ioctl(fd, request, arg):
        seen['request'] = request
        name, pointer = struct.unpack_from('16sP', arg)
        seen['name'] = name.rstrip(b'\0')
        seen['size'] = len(arg)
        cmd, data = struct.unpack('=II', ctypes.string_at(pointer, 8))
        seen['cmd'], seen['data'] = cmd, data
        # What the kernel does for a get: write the answer back.
        ctypes.memmove(pointer, struct.pack('=II', cmd, 1), 8)
        return arg

    monkeypatch.setattr(linux_net.fcntl, 'ioctl', fake_ioctl)
    assert linux_net._ethtool_value('eth0', linux_net.ETHTOOL_GTXCSUM) == 1
    assert seen == {'request': 0x8946, 'name': b'eth0', 'size': 40,
                    'cmd': 0x16, 'data': 0}
    linux_net._ethtool_value('eth1', linux_net.ETHTOOL_STXCSUM, 0)
    assert seen['cmd'] == 0x17 and seen['name'] == b'eth1'


def test_ethtool_refuses_overlong_names():
    with pytest.raises(OSError):
        linux_net._ethtool_value('x' * 16, linux_net.ETHTOOL_GTXCSUM)


class ContainerIPRoute(FakeIPRoute):
    def get_addr(self, index):
        return []

    def addr(self, *args, **kwargs):
        self.calls.append(('addr', kwargs))

    def route(self, *args, **kwargs):
        self.calls.append(('route', kwargs))


def _config(**extra):
    config = {'ifname': 'eth0', 'mac': 'fa:16:3e:00:00:01', 'mtu': None,
              'metric': 100, 'addresses': [], 'routes': []}
    config.update(extra)
    return config


@pytest.mark.parametrize('wanted, calls', [(True, 1), (False, 0),
                                           (None, 0)])
def test_configure_turns_tx_checksum_off_when_asked(monkeypatch, wanted,
                                                    calls):
    ipr = ContainerIPRoute([('eth0', {'kind': 'veth'})])
    done = []
    monkeypatch.setattr(linux_net, '_ethtool_value',
                        lambda *args: done.append(args) or 0)
    config = _config()
    if wanted is not None:
        config['tx_checksum_off'] = wanted
    linux_net._configure(ipr, ipr.links['eth0']['index'], config)
    assert done == [('eth0', linux_net.ETHTOOL_STXCSUM, 0)] * calls


def test_tx_checksum_failure_names_the_step(monkeypatch):
    ipr = ContainerIPRoute([('eth0', {'kind': 'veth'})])

    def refuse(*args):
        raise OSError(95, 'Operation not supported')

    monkeypatch.setattr(linux_net, '_ethtool_value', refuse)
    with pytest.raises(linux_net.NetlinkStepFailed) as err:
        linux_net._configure(ipr, ipr.links['eth0']['index'],
                             _config(tx_checksum_off=True))
    assert 'turn tx checksum offload off on eth0' in str(err.value)
    assert 'Operation not supported' in str(err.value)

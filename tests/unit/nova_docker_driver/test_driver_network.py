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

"""network_info through the driver on the fake engine: ports wired into the
container's process after each start, unwired on stop and destroy, and a
spawn whose wiring fails leaves neither container nor host links."""

import contextlib
import re
import time

import pytest

from nova import exception as nova_exc
from nova.network import model
from nova.virt import fake as fake_virt

from nova_docker_driver.network import exception as net_exc
from nova_docker_driver.network import linux_net
from nova_docker_driver.network import plugger
from tests.unit.nova_docker_driver import conftest as rig

PORT = 'ce531f90-199f-48c0-816c-13e38010b442'
PORT2 = '5d2a3c11-0f5e-4b7c-9d55-7c3f7a1b2e90'


def _vif(port=PORT, mac='fa:16:3e:4c:2c:30', vif_type='tap', active=True):
    subnet = model.Subnet(
        cidr='192.168.1.0/24',
        gateway=model.IP(address='192.168.1.1', type='gateway'),
        ips=[model.FixedIP(address='192.168.1.3')])
    network = model.Network(id='net', bridge='br-test', subnets=[subnet],
                            mtu=1450)
    return model.VIF(id=port, address=mac, network=network, type=vif_type,
                     active=active)


def _network_info(*vifs):
    return model.NetworkInfo(vifs or [_vif()])


def _spawn(driver, context, inst, network_info):
    driver.spawn(context, inst, rig.image_meta(), [], None, {},
                 network_info=network_info)
    (state,) = driver.backend.containers()
    return driver.backend.inspect(state.id)


def _alias(inst):
    return plugger.alias_for(inst.uuid)


def test_ports_are_wired_into_the_started_container(driver, context,
                                                    netlink):
    inst = rig.make_instance(context)
    nwinfo = _network_info(_vif(), _vif(PORT2, 'fa:16:3e:00:00:02'))
    state = _spawn(driver, context, inst, nwinfo)
    wired = [c for c in netlink.calls if c[0] == 'wire_peer']
    assert wired == [('wire_peer', state.pid, 'eth0'),
                     ('wire_peer', state.pid, 'eth1')]
    assert netlink.host_links_with_alias(_alias(inst)) == [
        'tap5d2a3c11-0f', 'tapce531f90-19']
    # Wiring comes after the start: there is no namespace before it.
    calls = [name for name, _ in driver.backend.calls]
    assert calls.index('start') < calls.index('inspect')


def test_no_network_info_touches_no_link(driver, context, netlink):
    _spawn(driver, context, rig.make_instance(context), None)
    assert [c for c in netlink.calls if c[0] != 'delete_link'] == []


def test_unsupported_vif_type_names_the_port_and_leaves_nothing(
        driver, context, netlink):
    inst = rig.make_instance(context)
    with pytest.raises(net_exc.VifTypeUnsupported) as err:
        driver.spawn(context, inst, rig.image_meta(), [], None, {},
                     network_info=_network_info(_vif(vif_type='vhostuser')))
    assert PORT in str(err.value) and "'vhostuser'" in str(err.value)
    assert driver.backend.containers() == []
    assert netlink.host == {}


def test_netlink_failure_is_a_wiring_error_and_undoes_everything(
        driver, context, netlink, monkeypatch):
    def refuse(pid, peer_name, config):
        raise linux_net.NetlinkStepFailed('move %s: File exists (errno 17)'
                                          % peer_name)
    monkeypatch.setattr(linux_net, 'wire_peer', refuse)
    inst = rig.make_instance(context)
    with pytest.raises(net_exc.VifWiringFailed) as err:
        driver.spawn(context, inst, rig.image_meta(), [], None, {},
                     network_info=_network_info())
    assert PORT in str(err.value) and 'File exists' in str(err.value)
    assert driver.backend.containers() == []
    assert netlink.host_links_with_alias(_alias(inst)) == []


class _TimingOutVirtAPI(fake_virt.FakeVirtAPI):
    """Neutron never says network-vif-plugged."""

    def __init__(self):
        super().__init__()
        self.waited = []

    @contextlib.contextmanager
    def wait_for_instance_event(self, instance, event_names, timeout=300,
                                error_callback=None):
        self.waited.append(event_names)
        yield
        raise nova_exc.InstanceEventTimeout()


@pytest.mark.parametrize('fatal', [True, False])
def test_port_that_never_becomes_active(driver, context, netlink,
                                        docker_conf, fatal):
    driver.virtapi = _TimingOutVirtAPI()
    docker_conf.set_override('vif_plugging_is_fatal', fatal)
    inst = rig.make_instance(context)
    try:
        if fatal:
            with pytest.raises(net_exc.VifWiringFailed) as err:
                driver.spawn(context, inst, rig.image_meta(), [], None, {},
                             network_info=_network_info(_vif(active=False)))
            assert 'no network-vif-plugged' in str(err.value)
            assert driver.backend.containers() == []
            assert netlink.host_links_with_alias(_alias(inst)) == []
        else:
            state = _spawn(driver, context, inst,
                           _network_info(_vif(active=False)))
            assert state.status == 'running'
    finally:
        docker_conf.clear_override('vif_plugging_is_fatal')
    assert driver.virtapi.waited == [[('network-vif-plugged', PORT)]]


def test_active_ports_are_not_waited_for(driver, context, netlink):
    driver.virtapi = _TimingOutVirtAPI()
    _spawn(driver, context, rig.make_instance(context), _network_info())
    assert driver.virtapi.waited == []


def test_reboot_wires_the_ports_into_the_new_process(driver, context,
                                                     netlink):
    inst = rig.make_instance(context)
    nwinfo = _network_info()
    first = _spawn(driver, context, inst, nwinfo)
    driver.reboot(context, inst, nwinfo, 'SOFT')
    second = driver.backend.inspect(first.id)
    assert second.pid != first.pid
    wired = [c[1] for c in netlink.calls if c[0] == 'wire_peer']
    assert wired == [first.pid, second.pid]


def test_destroy_removes_host_links_even_with_stale_network_info(
        driver, context, netlink):
    inst = rig.make_instance(context)
    _spawn(driver, context, inst, _network_info())
    assert netlink.host_links_with_alias(_alias(inst))
    # Nova's cache may have lost the port: the ifalias finds it anyway.
    driver.destroy(context, inst, model.NetworkInfo([]))
    assert netlink.host_links_with_alias(_alias(inst)) == []
    assert driver.backend.containers() == []


def test_destroy_leaves_a_port_that_moved_to_another_instance(
        driver, context, netlink):
    inst = rig.make_instance(context)
    nwinfo = _network_info()
    _spawn(driver, context, inst, nwinfo)
    # Detached here and attached to another instance of this host.
    netlink.host['tapce531f90-19'] = plugger.alias_for('another-instance')
    driver.destroy(context, inst, nwinfo)
    assert netlink.host['tapce531f90-19'] == plugger.alias_for(
        'another-instance')


def test_attach_to_a_stopped_container_waits_for_its_start(driver, context,
                                                          netlink):
    inst = rig.make_instance(context)
    _spawn(driver, context, inst, None)
    driver.power_off(inst)
    driver.attach_interface(context, inst, rig.image_meta(), _vif())
    assert not any(c[0] == 'wire_peer' for c in netlink.calls)
    driver.power_on(context, inst, _network_info())
    assert [c[0] for c in netlink.calls].count('wire_peer') == 1


def _vif_with_dns(port, mac, *servers):
    vif = _vif(port, mac)
    vif['network']['subnets'][0]['dns'] = [
        model.IP(address=s, type='dns') for s in servers]
    return vif


def test_dns_servers_of_every_port_go_to_the_container(driver, context,
                                                       netlink):
    inst = rig.make_instance(context)
    nwinfo = _network_info(
        _vif_with_dns(PORT, 'fa:16:3e:4c:2c:30', '192.0.2.53', 'fd00::53'),
        _vif_with_dns(PORT2, 'fa:16:3e:00:00:02', 'fd00::53', '192.0.2.54'))
    state = _spawn(driver, context, inst, nwinfo)
    raw = driver.backend.inspect_raw(state.id)
    assert raw['HostConfig']['Dns'] == ['192.0.2.53', 'fd00::53',
                                        '192.0.2.54']


@pytest.mark.parametrize('nwinfo', [None, model.NetworkInfo([]),
                                    _network_info()])
def test_no_dns_servers_leaves_the_engine_default(driver, context, netlink,
                                                  nwinfo):
    state = _spawn(driver, context, rig.make_instance(context), nwinfo)
    ((spec,),) = [args for name, args in driver.backend.calls
               if name == 'create']
    assert spec.dns_servers is None
    assert driver.backend.inspect_raw(state.id)['HostConfig']['Dns'] == []


def test_bad_dns_server_fails_before_the_container_is_made(driver, context,
                                                           netlink):
    vif = _vif()
    vif['network']['subnets'][0]['dns'] = [{'address': 'not-an-ip'}]
    with pytest.raises(net_exc.InvalidVif) as err:
        driver.spawn(context, rig.make_instance(context), rig.image_meta(),
                     [], None, {}, network_info=_network_info(vif))
    assert 'subnet.dns' in str(err.value) and PORT in str(err.value)
    assert driver.backend.containers() == []
    assert not any(name == 'create' for name, _ in driver.backend.calls)
    assert netlink.calls == []


def test_spawn_logs_where_its_time_went(driver, context, netlink, caplog):
    """The ports Nova is still allocating are timed apart from the driver:
    a slow Neutron shows as waiting for the ports, not as driver time."""
    class Allocating(model.NetworkInfo):
        # Nova's NetworkInfoAsyncWrapper's contract, without its thread
        # pool (Nova's own fixtures insist that no pool is left behind).
        def wait(self, do_raise=True):
            time.sleep(0.3)
            return self

    nwinfo = Allocating([_vif()])
    with caplog.at_level('INFO', logger='nova_docker_driver.driver'):
        _spawn(driver, context, rig.make_instance(context), nwinfo)
    (line,) = [r.getMessage() for r in caplog.records
               if r.getMessage().startswith('Spawn took')]
    found = dict((what, float(secs)) for secs, what in re.findall(
        r'([0-9.]+) s (?:waiting for the |in the )(ports|driver|'
        r'network-vif-plugged)', line))
    total = float(re.match(r'Spawn took ([0-9.]+) s', line).group(1))
    assert found['ports'] >= 0.3
    assert found['driver'] < found['ports']
    assert abs(total - sum(found.values())) < 0.002


class _RecordingVirtAPI(fake_virt.FakeVirtAPI):
    """Records when Nova was told to expect network-vif-plugged."""

    def __init__(self, netlink):
        super().__init__()
        self.netlink = netlink
        self.calls_at_wait = None

    @contextlib.contextmanager
    def wait_for_instance_event(self, instance, event_names, timeout=300,
                                error_callback=None):
        self.calls_at_wait = list(self.netlink.calls)
        yield


def test_host_ends_are_plugged_while_the_engine_creates_the_container(
        driver, context, netlink, monkeypatch):
    """The switch gets the port (veth, host end attached) while the
    container is being created, not after its start: the fake engine's
    create waits for the host end to be there and fails when it is not
    (a spawn that plugs only after create and start)."""
    driver.virtapi = _RecordingVirtAPI(netlink)
    inst = rig.make_instance(context)
    host_end = 'tapce531f90-19'
    create = driver.backend.create
    seen = []

    def create_once_plugged(spec):
        deadline = time.monotonic() + 5
        while not any(c == ('set_host_end', host_end) for c in netlink.calls):
            if time.monotonic() > deadline:
                raise AssertionError('no host end plugged during create')
            time.sleep(0.01)
        seen.append(host_end in netlink.host)
        return create(spec)

    monkeypatch.setattr(driver.backend, 'create', create_once_plugged)
    state = _spawn(driver, context, inst, _network_info(_vif(active=False)))
    assert seen == [True]
    # Nova was told to expect the event before anything was plugged.
    assert driver.virtapi.calls_at_wait == []
    # The container's end went in once, after the start, as eth0.
    assert [c for c in netlink.calls if c[0] in ('create_veth',
                                                 'wire_peer')] == [
        ('create_veth', host_end), ('wire_peer', state.pid, 'eth0')]
    calls = [name for name, _ in driver.backend.calls]
    assert calls.index('create') < calls.index('start')


def test_a_host_end_that_cannot_be_plugged_leaves_nothing(
        driver, context, netlink, monkeypatch):
    def refuse(name, master=None, netns=None):
        raise linux_net.NetlinkStepFailed('set %s up: No buffer space '
                                          'available (errno 105)' % name)
    monkeypatch.setattr(linux_net, 'set_host_end', refuse)
    inst = rig.make_instance(context)
    with pytest.raises(net_exc.VifWiringFailed) as err:
        driver.spawn(context, inst, rig.image_meta(), [], None, {},
                     network_info=_network_info(_vif(active=False)))
    assert PORT in str(err.value) and 'No buffer space' in str(err.value)
    assert driver.backend.containers() == []
    assert netlink.host_links_with_alias(_alias(inst)) == []
    assert netlink.host == {}


def test_a_failed_create_unplugs_the_host_ends(driver, context, netlink):
    inst = rig.make_instance(context)
    driver.backend.fail('create', driver.backend.refused('out of space'))
    with pytest.raises(Exception, match='out of space'):
        driver.spawn(context, inst, rig.image_meta(), [], None, {},
                     network_info=_network_info(_vif(active=False)))
    assert ('create_veth', 'tapce531f90-19') in netlink.calls
    assert driver.backend.containers() == []
    assert netlink.host == {}


def test_the_image_is_resolved_while_the_ports_are_made(driver, context,
                                                        netlink):
    """The engine is asked for the image (on a first boot, Glance's
    download) before Nova's port allocation is over, not after."""
    seen = []

    class Allocating(model.NetworkInfo):
        def wait(self, do_raise=True):
            deadline = time.monotonic() + 5
            while not any(name == 'image_id'
                          for name, _ in driver.backend.calls):
                if time.monotonic() > deadline:
                    break
                time.sleep(0.01)
            seen.append([name for name, _ in driver.backend.calls])
            return self

    _spawn(driver, context, rig.make_instance(context),
           Allocating([_vif()]))
    (calls,) = seen
    assert 'image_id' in calls and 'create' not in calls


def test_a_spawn_asks_neutron_for_the_metadata_route_once(
        driver, context, netlink, monkeypatch):
    from nova_docker_driver.network import metadata
    asked = []
    monkeypatch.setattr(metadata, 'proxy_addresses',
                        lambda vifs: asked.append(len(vifs)) or {})
    _spawn(driver, context, rig.make_instance(context),
           _network_info(_vif(active=False)))
    assert asked == [1]

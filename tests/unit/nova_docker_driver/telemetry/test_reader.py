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

"""The telemetry reader on a stand-in engine API and link dump."""

import pytest

from nova_docker_driver import labels
from nova_docker_driver.telemetry import reader as reader_mod
from tests.unit.nova_docker_driver.telemetry.fakes import Clock
from tests.unit.nova_docker_driver.telemetry.fakes import EngineAPI

MiB = 1024 * 1024
UUID = '3f2c0a9e-0000-4000-8000-000000000001'


V2_SAMPLE = {
    'cpu_stats': {'cpu_usage': {'total_usage': 123456789},
                  'online_cpus': 2},
    'memory_stats': {'usage': 50 * MiB, 'limit': 64 * MiB,
                     'stats': {'inactive_file': 10 * MiB,
                               'anon': 30 * MiB}},
    'blkio_stats': {'io_service_bytes_recursive': [
        {'major': 7, 'minor': 99, 'op': 'read', 'value': 4096},
        {'major': 7, 'minor': 99, 'op': 'write', 'value': 512},
        {'major': 7, 'minor': 99, 'op': 'discard', 'value': 1}]},
}


@pytest.fixture
def engine():
    return EngineAPI()


@pytest.fixture
def clock():
    return Clock()


def make(engine, clock):
    r = reader_mod.Reader(engine, 'compute1', clock=clock)
    return r


def test_usage_in_ceilometer_units(engine, clock):
    engine.add('c1', UUID, stats=V2_SAMPLE)
    use = make(engine, clock).usage(UUID)
    assert use == {'cpu_time': 123456789, 'online_cpus': 2,
                   'memory_usage': 40.0, 'memory_resident': 30.0,
                   'memory_limit': 64.0}
    # Only this host's containers are listed.
    assert engine.calls[0] == ('containers', {
        'label': ['%s=compute1' % labels.LABEL_HOST]})


def test_cgroup_v1_names(engine, clock):
    engine.add('c1', UUID, stats={
        'cpu_stats': {'cpu_usage': {'total_usage': 5}},
        'memory_stats': {'usage': 8 * MiB, 'limit': 16 * MiB, 'stats': {
            'total_inactive_file': 2 * MiB, 'rss': 4 * MiB}}})
    use = make(engine, clock).usage(UUID)
    assert (use['memory_usage'], use['memory_resident']) == (6.0, 4.0)


def test_one_listing_and_one_sample_serve_a_round(engine, clock):
    engine.add('c1', UUID, stats=V2_SAMPLE)
    r = make(engine, clock)
    r.usage(UUID)
    r.disks(UUID)
    assert [c[0] for c in engine.calls] == ['containers', 'stats']
    clock.now += reader_mod.STATS_TTL + 0.1
    r.usage(UUID)
    assert [c[0] for c in engine.calls] == ['containers', 'stats', 'stats']
    clock.now += reader_mod.LIST_TTL
    r.usage(UUID)
    assert [c[0] for c in engine.calls].count('containers') == 2


def test_samples_kept_are_those_of_the_last_stats_ttl_only(engine, clock):
    # A polling round over many instances leaves no sample per instance
    # behind for the next round.
    uuids = ['3f2c0a9e-0000-4000-8000-%012d' % n for n in range(50)]
    for n, uuid in enumerate(uuids):
        engine.add('c%d' % n, uuid, stats=V2_SAMPLE)
    r = make(engine, clock)
    for uuid in uuids:
        r.usage(uuid)
        clock.now += reader_mod.STATS_TTL / 4
    assert len(r._samples) <= 5
    clock.now += reader_mod.STATS_TTL + 0.1
    r.usage(uuids[0])
    assert list(r._samples) == ['c0']


def test_a_container_booted_since_the_listing_is_found(engine, clock):
    r = make(engine, clock)
    engine.add('c0', 'other')
    r.usage('other')
    engine.add('c1', UUID, stats=V2_SAMPLE)
    assert r.usage(UUID)['cpu_time'] == 123456789


def test_no_container_is_gone(engine, clock):
    engine.add('c1', 'other')
    with pytest.raises(reader_mod.ContainerGone):
        make(engine, clock).usage(UUID)


def test_removed_between_listing_and_stats_is_gone(engine, clock):
    engine.add('c1', UUID)
    del engine.samples['c1']
    with pytest.raises(reader_mod.ContainerGone):
        make(engine, clock).usage(UUID)


@pytest.mark.parametrize('state', ['exited', 'created', 'paused'])
def test_a_container_that_does_not_run_is_not_running(engine, clock, state):
    engine.add('c1', UUID, state=state)
    with pytest.raises(reader_mod.NotRunning):
        make(engine, clock).usage(UUID)
    assert 'stats' not in [c[0] for c in engine.calls]


def test_disks_per_device_read_and_write(engine, clock, monkeypatch):
    monkeypatch.setattr(reader_mod, '_device_name',
                        lambda major, minor: 'loop%d' % minor)
    engine.add('c1', UUID, stats=V2_SAMPLE)
    assert make(engine, clock).disks(UUID) == [{
        'device': 'loop99', 'read_bytes': 4096, 'write_bytes': 512,
        'read_requests': None, 'write_requests': None}]


def test_device_name_of_a_device_this_machine_lacks():
    assert reader_mod._device_name(4095, 1048575) == '4095:1048575'


def test_vnics_from_the_instance_point_of_view(engine, clock, monkeypatch):
    dumps = []

    def counters(prefix, netns):
        dumps.append((prefix, netns))
        link = {'name': 'tapabc', 'rx_bytes': 10, 'tx_bytes': 20,
                'rx_packets': 1, 'tx_packets': 2, 'rx_dropped': 3,
                'tx_dropped': 4, 'rx_errors': 5, 'tx_errors': 6}
        return {labels.alias_for(UUID): [link]}

    monkeypatch.setattr(reader_mod.linux_net, 'link_counters', counters)
    engine.add('c1', UUID)
    r = reader_mod.Reader(engine, 'compute1', netns='chassis1',
                          clock=clock)
    # What the host end sent, the instance received.
    assert r.vnics(UUID) == [{
        'name': 'tapabc', 'rx_bytes': 20, 'tx_bytes': 10, 'rx_packets': 2,
        'tx_packets': 1, 'rx_drop': 4, 'tx_drop': 3, 'rx_errors': 6,
        'tx_errors': 5}]
    assert r.vnics(UUID) and dumps == [(labels.ALIAS_PREFIX, 'chassis1')]
    engine.add('c2', 'no-network')
    assert r.vnics('no-network') == []

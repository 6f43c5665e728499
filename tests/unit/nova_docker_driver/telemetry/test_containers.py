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

"""The Heat plugin's containers as Ceilometer resources, on a stand-in
engine API: what the discovery finds and what the pollsters read."""

import hashlib

import pytest

from heat_plugin import labels as heat_labels
from nova_docker_driver.telemetry import containers
from nova_docker_driver.telemetry import reader as reader_mod
from tests.unit.nova_docker_driver.telemetry.fakes import Clock
from tests.unit.nova_docker_driver.telemetry.fakes import EngineAPI

MiB = 1024 * 1024
PROJECT = 'a1b2c3d4e5f6a1b2c3d4e5f6a1b2c3d4'
USER = 'f6e5d4c3b2a1f6e5d4c3b2a1f6e5d4c3'
STACK_ID = '6d5c2f0a-0000-4000-8000-0000000000aa'
MEMBER = {heat_labels.LABEL_PROJECT: PROJECT, heat_labels.LABEL_USER: USER,
          heat_labels.LABEL_STACK: 'nested-stack-id',
          heat_labels.LABEL_RESOURCE: 'abcdefgh1234',
          'metering.server_group': STACK_ID, 'tier': 'web'}
STATS = {
    'cpu_stats': {'cpu_usage': {'total_usage': 987654321},
                  'online_cpus': 4},
    'memory_stats': {'usage': 20 * MiB, 'limit': 64 * MiB,
                     'stats': {'inactive_file': 4 * MiB, 'anon': 12 * MiB}},
    'networks': {
        'eth1': {'rx_bytes': 7, 'tx_bytes': 8, 'rx_packets': 1,
                 'tx_packets': 2, 'rx_dropped': 0, 'tx_dropped': 0,
                 'rx_errors': 0, 'tx_errors': 0},
        'eth0': {'rx_bytes': 1500, 'tx_bytes': 900, 'rx_packets': 12,
                 'tx_packets': 9, 'rx_dropped': 1, 'tx_dropped': 2,
                 'rx_errors': 3, 'tx_errors': 4}},
}


@pytest.fixture
def engine():
    return EngineAPI()


@pytest.fixture
def heat(engine):
    return reader_mod.HeatContainers(engine, clock=Clock())


def test_a_member_looks_like_a_server_to_ceilometer(engine, heat):
    engine.add_heat('c1', MEMBER, stats=STATS, name='web-member', host_config={
        'CpuQuota': 50000, 'CpuPeriod': 100000, 'Memory': 64 * MiB})
    (member,) = containers.discover(heat, 'compute1')
    assert (member.id, member.tenant_id, member.user_id) == (
        'c1', PROJECT, USER)
    # resource_name in Prometheus is "<display_name>:<instance_name>".
    assert member.name == 'abcdefgh1234'
    assert getattr(member, 'OS-EXT-SRV-ATTR:instance_name') == 'web-member'
    assert getattr(member, 'OS-EXT-SRV-ATTR:host') == 'compute1'
    # Nova's hostId: sha224 of project and host.
    assert member.hostId == hashlib.sha224(
        (PROJECT + 'compute1').encode()).hexdigest()
    # Half a CPU and 64 MiB: a flavor of 1 vcpu, 64 MiB.
    assert member.flavor == {'name': 'OS::Docker::Container', 'vcpus': 1,
                             'ram': 64, 'disk': 0, 'ephemeral': 0}
    assert member.status == 'active'
    assert member.image == {'id': 'dos/httpd'}
    # The author's labels are the server's metadata; the plugin's are not.
    assert member.metadata == {'metering.server_group': STACK_ID,
                               'tier': 'web'}


def test_only_the_plugins_running_containers_with_a_project(engine, heat):
    engine.add('nova1', 'instance-uuid')               # a Nova instance's
    engine.add_heat('c1', MEMBER)
    engine.add_heat('c2', MEMBER, state='exited')      # a finished job
    engine.add_heat('c3', dict(MEMBER, **{heat_labels.LABEL_PROJECT: ''}))
    assert [m.id for m in containers.discover(heat, 'compute1')] == ['c1']
    assert engine.calls[0] == ('containers', {
        'label': ['%s=true' % heat_labels.LABEL_OWNER]})


def test_a_container_removed_after_the_listing_is_left_out(engine, heat):
    engine.add_heat('c1', MEMBER)
    engine.add_heat('c2', MEMBER)
    del engine.samples['c1']
    assert [m.id for m in containers.discover(heat, 'compute1')] == ['c2']


def test_the_discovery_lists_afresh_each_time(engine, heat):
    engine.add_heat('c1', MEMBER)
    assert len(containers.discover(heat, 'compute1')) == 1
    engine.add_heat('c2', MEMBER)
    assert len(containers.discover(heat, 'compute1')) == 2


def test_a_container_without_a_user_label_has_user_none(engine, heat):
    older = {k: v for k, v in MEMBER.items()
             if k != heat_labels.LABEL_USER}
    engine.add_heat('c1', older)
    (member,) = containers.discover(heat, 'compute1')
    # Never empty: Ceilometer's exporter needs the same labels on every
    # sample of a meter.
    assert member.user_id == containers.NO_USER == 'none'


def test_no_cpu_limit_is_no_vcpus_for_the_inspector_to_fill(engine, heat):
    engine.add_heat('c1', MEMBER)
    (member,) = containers.discover(heat, 'compute1')
    assert (member.flavor['vcpus'], member.flavor['ram']) == (0, 0)


def test_members_are_equal_by_container_id(engine, heat):
    engine.add_heat('c1', MEMBER)
    first = containers.discover(heat, 'compute1')
    again = containers.discover(heat, 'compute1')
    # Ceilometer's polling dedupes resources with == (and sets).
    assert first == again and len(set(first + again)) == 1


def test_usage_of_a_member_by_container_id(engine, heat):
    engine.add_heat('c1', MEMBER, stats=STATS)
    assert heat.usage('c1') == {
        'cpu_time': 987654321, 'online_cpus': 4, 'memory_usage': 16.0,
        'memory_resident': 12.0, 'memory_limit': 64.0}


def test_traffic_of_a_member_is_its_own_interfaces(engine, heat):
    engine.add_heat('c1', MEMBER, stats=STATS)
    # Counted inside the container: received is received.
    assert heat.vnics('c1') == [
        {'name': 'eth0', 'rx_bytes': 1500, 'tx_bytes': 900,
         'rx_packets': 12, 'tx_packets': 9, 'rx_drop': 1, 'tx_drop': 2,
         'rx_errors': 3, 'tx_errors': 4},
        {'name': 'eth1', 'rx_bytes': 7, 'tx_bytes': 8, 'rx_packets': 1,
         'tx_packets': 2, 'rx_drop': 0, 'tx_drop': 0, 'rx_errors': 0,
         'tx_errors': 0}]
    engine.add_heat('c2', MEMBER)                      # network_mode none
    assert heat.vnics('c2') == []


def test_a_stopped_or_removed_member_reads_as_such(engine, heat):
    engine.add_heat('c1', MEMBER, state='exited')
    with pytest.raises(reader_mod.NotRunning):
        heat.usage('c1')
    with pytest.raises(reader_mod.ContainerGone):
        heat.usage('nothing')
    with pytest.raises(reader_mod.ContainerGone):
        heat.host_config('nothing')


def test_the_nova_reader_leaves_the_plugins_containers_alone(engine):
    engine.add_heat('c1', MEMBER)
    nova = reader_mod.Reader(engine, 'compute1', clock=Clock())
    with pytest.raises(reader_mod.ContainerGone):
        nova.usage('c1')

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

"""What the share decision reads from Nova's database, and how often.

Compute nodes and the aggregates' hosts: once per
``capacity_cache_seconds`` for the fleet and every aggregate pool
together; instances in aggregate pools: one read for all pools. The three
database reads are counted (their results are plain objects here),
everything else is the real PlacementUsage.
"""

from tests.rig import nova as nova_rig  # noqa: F401,I100

import threading  # noqa: E402
import time  # noqa: E402
import types  # noqa: E402

import pytest  # noqa: E402

from scheduler_filters.nova import usage  # noqa: E402


def _node(host, vcpus=8):
    return types.SimpleNamespace(
        host=host, vcpus=vcpus, memory_mb=1024, local_gb=10,
        cpu_allocation_ratio=2.0, ram_allocation_ratio=1.0,
        disk_allocation_ratio=1.0, vcpus_used=1, memory_mb_used=0,
        local_gb_used=0, stats={'num_instances': '1'})


def _instance(host, project):
    flavor = types.SimpleNamespace(vcpus=2, memory_mb=256, root_gb=1,
                                   ephemeral_gb=0)
    return types.SimpleNamespace(host=host, project_id=project,
                                 flavor=flavor)


@pytest.fixture
def reads(monkeypatch):
    calls = {'nodes': 0, 'instances': [], 'aggregates': 0}
    nodes = [_node('h%d' % i) for i in range(6)]

    def compute_nodes(context):
        calls['nodes'] += 1
        return nodes

    def instances_on(context, hosts):
        calls['instances'].append(hosts)
        return [i for i in (_instance('h0', 'p1'), _instance('h1', 'p1'),
                            _instance('h3', 'p2')) if i.host in hosts]

    def aggregate_hosts(context):
        calls['aggregates'] += 1
        return {'a': frozenset({'h0', 'h1'}), 'b': frozenset({'h3'})}

    monkeypatch.setattr(usage, '_compute_nodes', compute_nodes)
    monkeypatch.setattr(usage, '_instances_on', instances_on)
    monkeypatch.setattr(usage, '_aggregate_hosts', aggregate_hosts)
    return calls


def test_one_node_read_per_ttl_for_fleet_and_pools(reads):
    source = usage.PlacementUsage(capacity_ttl=60.0)
    for _ in range(3):  # three instances scheduled
        cap, _used = source.fleet(None)
        members = source.aggregate_hosts(None)
        views = source.pools_view(None, members)
    assert reads['nodes'] == 1
    assert reads['aggregates'] == 1  # with the nodes, not per request
    assert members == {'a': {'h0', 'h1'}, 'b': {'h3'}}
    assert cap['VCPU'] == 6 * 16
    # One instances read per request for every pool together.
    assert reads['instances'] == [['h0', 'h1', 'h3']] * 3
    assert views['a'][0]['VCPU'] == 32
    assert views['a'][1] == {'p1': {'VCPU': 4, 'MEMORY_MB': 512,
                                    'DISK_GB': 2, 'instances': 2}}
    assert views['b'][1] == {'p2': {'VCPU': 2, 'MEMORY_MB': 256,
                                    'DISK_GB': 1, 'instances': 1}}
    assert source.hosts_view(None, {'h3'}) == views['b']


def test_no_cache_reads_every_time_and_no_pool_reads_nothing(reads):
    source = usage.PlacementUsage(capacity_ttl=0)
    source.fleet(None)
    source.pools_view(None, {})
    source.fleet(None)
    assert reads['nodes'] == 2
    assert reads['aggregates'] == 2
    assert reads['instances'] == []


def test_a_pool_capacity_is_a_copy(reads):
    """A caller changing the capacity it got does not change the next
    request's (each pool is summed once per read and handed out)."""
    source = usage.PlacementUsage(capacity_ttl=60.0)
    first = source.pools_view(None, {'a': {'h0', 'h1'}})['a'][0]
    first['VCPU'] = 0
    assert source.pools_view(None, {'a': {'h0', 'h1'}})['a'][0]['VCPU'] == 32


def test_a_stale_read_is_replaced_in_the_background(monkeypatch):
    calls = []
    gate = threading.Event()

    def compute_nodes(context):
        calls.append(1)
        if len(calls) > 1:
            gate.wait(10)  # a slow read of a large fleet
        return [_node('h%d' % i) for i in range(len(calls))]

    monkeypatch.setattr(usage, '_compute_nodes', compute_nodes)
    monkeypatch.setattr(usage, '_aggregate_hosts', lambda context: {})
    source = usage.PlacementUsage(capacity_ttl=0.05)
    assert source.fleet(None)[0]['VCPU'] == 16  # the first read: waited for
    time.sleep(0.06)
    t0 = time.monotonic()
    for _ in range(3):  # stale: the last read, without waiting
        assert source.fleet(None)[0]['VCPU'] == 16
    assert time.monotonic() - t0 < 1.0
    gate.set()
    deadline = time.monotonic() + 10
    while source.fleet(None)[0]['VCPU'] != 32:
        assert time.monotonic() < deadline, 'never refreshed'
        time.sleep(0.01)
    assert len(calls) == 2  # one background read, not one per request

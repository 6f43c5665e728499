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

"""select_hosts: the contract the Nova adapters and the Heat plugin share."""

import sys

import pytest

from scheduler_filters import exception
from scheduler_filters.core import facts
from scheduler_filters.core import plan
from scheduler_filters.core import select

X86 = frozenset({'x86_64'})
ARM = frozenset({'aarch64'})


def host(name, archs=X86, emulated=frozenset(), vcpus=(16, 0),
         mem=(32768, 0), usage=None, labels=None, instances=0):
    return facts.HostFacts(name, archs, emulated, vcpus[0], vcpus[1], mem[0],
                           mem[1], instances=instances,
                           projects_usage=usage or {}, labels=labels or {})


def req(project='p', vcpus=1, mem=512, archs=None, **kw):
    return facts.RequestFacts(project, vcpus, mem, architectures=archs, **kw)


def names(hosts):
    return [h.name for h in hosts]


def test_core_does_not_import_nova():
    # This whole process is the Nova-free 'plain' group.
    import scheduler_filters  # noqa: F401
    from scheduler_filters.core import share  # noqa: F401
    assert 'nova' not in sys.modules


def test_arch_filter_keeps_only_hosts_that_run_the_image():
    hosts = [host('x1'), host('a1', ARM), host('both', X86 | ARM)]
    assert set(names(select.select_hosts(hosts, req(archs={'arm64'})))) == {
        'a1', 'both'}
    assert set(names(select.select_hosts(hosts, req(archs={'amd64'})))) == {
        'x1', 'both'}
    assert set(names(select.select_hosts(hosts, req()))) == {'x1', 'a1',
                                                             'both'}
    assert select.select_hosts(hosts, req(archs={'s390x'})) == []


def test_emulated_host_passes_but_ranks_after_native():
    hosts = [host('emu', ARM, emulated=X86), host('native')]
    # The emulated host is fuller, so packing alone would prefer it.
    hosts[0].vcpus_used = 12
    got = select.select_hosts(hosts, req(archs={'x86_64'}))
    assert names(got) == ['native', 'emu']
    # Without an architecture constraint packing decides.
    assert names(select.select_hosts(hosts, req()))[0] == 'emu'


@pytest.mark.parametrize('kwargs,field', [
    (dict(vcpus=-1), 'vcpus'), (dict(vcpus=1.5), 'vcpus'),
    (dict(mem=None), 'memory_mb'), (dict(project=''), 'project_id'),
    (dict(archs={'pdp11'}), 'architectures'),
    (dict(archs='x86_64'), 'architectures'),
    (dict(archs=frozenset()), 'architectures'),
    (dict(instance_count=0), 'instance_count'),
    (dict(group_policy='clumped'), 'group_policy'),
])
def test_malformed_request_raises_naming_the_field(kwargs, field):
    with pytest.raises((exception.InvalidRequest,
                        exception.UnknownArchitecture)) as e:
        select.select_hosts([host('h')], req(**kwargs))
    assert field in str(e.value)


def test_capacity_and_hard_group_policies():
    hosts = [host('full', vcpus=(4, 4)), host('h1'), host('h2')]
    assert names(select.select_hosts(hosts, req())) != []
    assert 'full' not in names(select.select_hosts(hosts, req()))
    anti = req(group_policy='anti-affinity', group_hosts=frozenset({'h1'}))
    assert names(select.select_hosts(hosts, anti)) == ['h2']
    aff = req(group_policy='affinity', group_hosts=frozenset({'h2'}))
    assert names(select.select_hosts(hosts, aff)) == ['h2']


def test_pack_prefers_fuller_hosts_and_spread_emptier():
    hosts = [host('empty'), host('half', vcpus=(16, 8), mem=(32768, 16384))]
    assert names(select.select_hosts(hosts, req())) == ['half', 'empty']
    assert names(select.select_hosts(hosts, req(), packing='spread')) == [
        'empty', 'half']
    soft = req(group_policy='soft-anti-affinity')
    assert names(select.select_hosts(hosts, soft))[0] == 'empty'
    with pytest.raises(exception.InvalidRequest) as e:
        select.select_hosts(hosts, req(), packing='tight')
    assert 'packing' in str(e.value)


PLAN = """
version: 1
unlisted_projects: deny
projects:
  - name: owner
    owns: {VCPU: 8, MEMORY_MB: 16384, instances: 8}
    lend: true
  - name: borrower
    owns: {VCPU: 8, MEMORY_MB: 16384, instances: 8}
    borrow: true
  - name: miser
    owns: {VCPU: 16, MEMORY_MB: 32768, instances: 16}
    lend: false
    borrow: false
"""


def test_share_plan_filters_hosts():
    cfg = plan.loads(PLAN)
    hosts = [host('h%d' % i) for i in range(2)]  # 32 VCPU, all owned
    # Within its share.
    assert len(select.select_hosts(hosts, req('borrower', vcpus=8), cfg)) == 2
    # Beyond: borrows the owner's idle 8 (the miser lends nothing).
    hosts[0].projects_usage = {'borrower': {'VCPU': 8, 'MEMORY_MB': 4096,
                                            'instances': 8}}
    hosts[0].vcpus_used = 8
    assert len(select.select_hosts(hosts, req('borrower', vcpus=4), cfg)) \
        == 2
    d = select.share_decision(hosts, req('borrower', vcpus=4), cfg)
    assert d.allowed and d.borrowed
    # Beyond what the owner lends: refused.
    assert select.select_hosts(hosts, req('borrower', vcpus=12), cfg) == []
    # The miser may not borrow; unlisted projects are denied.
    assert select.select_hosts(hosts, req('miser', vcpus=17), cfg) == []
    assert select.select_hosts(hosts, req('stranger'), cfg) == []
    d = select.share_decision(hosts, req('stranger'), cfg)
    assert 'not in the share plan' in d.reason


def test_binpack_many_equals_binpack_raw():
    import random

    from scheduler_filters.core import weigh
    rnd = random.Random(3)
    rows = []
    for _ in range(200):
        vt, mt, kt = (rnd.choice([0, 8, 32]), rnd.choice([0, 4096, 65536]),
                      rnd.choice([0, 100]))
        rows.append((vt, rnd.randint(0, vt), mt, rnd.randint(0, mt), kt,
                     rnd.randint(0, kt)))
    for mode in weigh.PACKING_MODES:
        demand = (2, 2048, 10)
        many = weigh.binpack_many(rows, demand, mode)
        one = [weigh.binpack_raw((r[0], r[2], r[4]), (r[1], r[3], r[5]),
                                 demand, mode) for r in rows]
        assert many == pytest.approx(one)


def test_share_score_prefers_owned_then_headroom():
    from scheduler_filters.core import share
    from scheduler_filters.core import weigh
    owned = share.Decision(True, False, 'p', 'x', headroom=0.5)
    fuller = share.Decision(True, False, 'p', 'x', headroom=0.1)
    borrowed = share.Decision(True, True, 'p', 'x', headroom=-0.2)
    assert (weigh.share_score(owned) > weigh.share_score(fuller)
            > weigh.share_score(borrowed))
    assert weigh.share_score(None) == 0.0


def test_soft_group_policies_prefer_or_avoid_group_hosts():
    hosts = [host('a', vcpus=(16, 8)), host('b')]
    near = req(group_policy='soft-affinity', group_hosts=frozenset({'b'}))
    assert names(select.select_hosts(hosts, near))[0] == 'b'
    far = req(group_policy='soft-anti-affinity',
              group_hosts=frozenset({'b'}))
    assert names(select.select_hosts(hosts, far))[0] == 'a'

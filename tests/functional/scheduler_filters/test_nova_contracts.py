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

"""The filters and weighers on Nova's contracts, against Nova's per-host path.

``filter_all`` and ``weigh_objects`` (one pass over the hosts) run through
Nova's real FilterHandler and WeightHandler on a mixed fleet of HostState
objects (no cloud needed) beside Nova's base behaviour (``host_passes`` and
``_weigh_object`` per host): the same hosts must pass, with the same
weights, bit for bit, in the same order, including hosts whose aggregates
override a weigher's multiplier. No plug-in raises NoValidHost; a filter
that leaves no host returns none and logs why.

These live in the Nova test process (tests/unit/scheduler_filters is the
Nova-free group).
"""

# The rig first: it decides how Nova's test package patches threading.
from tests.rig import nova as nova_rig  # noqa: F401,I100

import logging  # noqa: E402
import random  # noqa: E402
import uuid  # noqa: E402

import pytest  # noqa: E402
from nova import context as nova_context  # noqa: E402
from nova import filters as nova_filters  # noqa: E402
from nova import objects  # noqa: E402
from nova import weights as nova_weights  # noqa: E402
from nova.scheduler import filters as host_filters  # noqa: E402
from nova.scheduler import host_manager  # noqa: E402
from nova.scheduler import utils as sched_utils  # noqa: E402
from nova.scheduler import weights as host_weights  # noqa: E402

from scheduler_filters.core import share  # noqa: E402
from scheduler_filters.core import weigh  # noqa: E402
from scheduler_filters.nova import CONF  # noqa: E402
from scheduler_filters.nova import filters as our_filters  # noqa: E402
from scheduler_filters.nova import state  # noqa: E402
from scheduler_filters.nova import translate  # noqa: E402
from scheduler_filters.nova import weighers as our_weighers  # noqa: E402

objects.register_all()

OWN = share.Decision(True, False, 'p', 'own', headroom=0.4)
TIGHT = share.Decision(True, False, 'p', 'own', headroom=0.05)
BORROW = share.Decision(True, True, 'p', 'borrow', headroom=-0.3)
REFUSE = share.Decision(False, False, 'p', 'over its share', headroom=-1)


def _aggregates():
    agg = objects.Aggregate
    return {
        # Multiplier overrides, including one Nova has to take the minimum
        # of (a host in 'pack-more' and 'pack-less') and a bad value.
        'pack-more': agg(id=1, name='pack-more', hosts=[],
                         metadata={'binpack_weight_multiplier': '3.3'}),
        'pack-less': agg(id=2, name='pack-less', hosts=[],
                         metadata={'binpack_weight_multiplier': '0.7'}),
        'no-emu-pref': agg(id=3, name='no-emu-pref', hosts=[],
                           metadata={'emulation_weight_multiplier': '0',
                                     'tenant_share_weight_multiplier': '-2.1'}),
        'bad': agg(id=4, name='bad', hosts=[],
                   metadata={'binpack_weight_multiplier': 'lots'}),
        'binfmt': agg(id=5, name='binfmt', hosts=[],
                      metadata={'docker_emulated_architectures': 'x86_64'}),
        'plain': agg(id=6, name='plain', hosts=[], metadata={}),
    }


def make_fleet(n=400, seed=5):
    rnd = random.Random(seed)
    aggs = _aggregates()
    archs = ['x86_64'] * 5 + ['aarch64'] * 3 + ['ppc64le', 's390x']
    groups = [[], [], [], ['pack-more'], ['pack-less'],
              ['pack-more', 'pack-less'], ['no-emu-pref'], ['bad'],
              ['binfmt'], ['binfmt', 'pack-more'], ['plain']]
    hosts = []
    for i in range(n):
        h = host_manager.HostState('h%04d' % i, 'h%04d' % i, 'cell1')
        h.supported_instances = [[rnd.choice(archs), 'docker', 'exe']]
        if i % 13 == 0:
            h.stats = {'docker_emulated_architectures': 'x86_64'}
        elif i % 7:  # the others have no stats, as before a first update
            h.stats = {}
        size = rnd.choice([(16, 32768), (32, 65536), (64, 262144)])
        h.vcpus_total, h.total_usable_ram_mb = size
        h.vcpus_used = rnd.randint(0, size[0])
        h.free_ram_mb = size[1] - rnd.randint(0, size[1] // 1024) * 1024
        h.total_usable_disk_gb = rnd.choice([500, 1000])
        h.disk_mb_used = rnd.randint(0, 400) * 1024
        h.free_disk_mb = h.total_usable_disk_gb * 1024 - h.disk_mb_used
        h.cpu_allocation_ratio = rnd.choice([1.0, 4.0, None])
        h.ram_allocation_ratio = rnd.choice([1.0, 1.5])
        h.disk_allocation_ratio = 1.0
        h.num_instances = h.vcpus_used // 2
        h.aggregates = [aggs[a] for a in rnd.choice(groups)]
        hosts.append(h)
    return hosts


def make_spec(arch='x86_64', vcpus=2, ram=4096, group=None):
    props = objects.ImageMetaProps()
    if arch:
        props.hw_architecture = arch
    spec = objects.RequestSpec(
        project_id='p', user_id='u', num_instances=1,
        instance_uuid=str(uuid.uuid4()),
        flavor=objects.Flavor(vcpus=vcpus, memory_mb=ram, root_gb=10,
                              ephemeral_gb=0, swap=0, extra_specs={}),
        image=objects.ImageMeta(properties=props),
        scheduler_hints={}, ignore_hosts=None, force_hosts=None,
        force_nodes=None, instance_group=group)
    spec._context = nova_context.get_admin_context()
    return spec


def _per_host(cls):
    """``cls`` as Nova runs a weigher that overrides nothing but
    ``_weigh_object`` and reads its multiplier per host."""

    class PerHost(cls):
        def weigh_objects(self, weighed_obj_list, spec_obj):
            return nova_weights.BaseWeigher.weigh_objects(
                self, weighed_obj_list, spec_obj)

        def weight_multiplier(self, host_state):
            name = self.multiplier_name
            return sched_utils.get_weight_multiplier(
                host_state, name, getattr(CONF.docker_scheduler, name))

    PerHost.__name__ = cls.__name__
    return PerHost


class PerHostBinPack(_per_host(our_weighers.BinPackWeigher)):
    def _weigh_object(self, h, spec_obj):
        # The arithmetic on one host, as before the fast path existed.
        req = state.for_request(spec_obj).request
        mode = weigh.packing_mode(req, CONF.docker_scheduler.packing_mode)
        ram = h.total_usable_ram_mb
        row = (h.vcpus_total * (h.cpu_allocation_ratio or 1.0), h.vcpus_used,
               ram * (h.ram_allocation_ratio or 1.0), ram - h.free_ram_mb,
               h.total_usable_disk_gb * (h.disk_allocation_ratio or 1.0),
               h.disk_mb_used / 1024.0)
        score = weigh.binpack_many(
            [row], (req.vcpus, req.memory_mb, req.disk_gb), mode)[0]
        if (req.group_policy == 'soft-anti-affinity'
                and h.host in req.group_hosts):
            score -= 1.0
        return score


class PerHostEmulation(_per_host(our_weighers.EmulationWeigher)):
    def _weigh_object(self, h, spec_obj):
        archs = state.for_request(spec_obj).archs
        if archs is None:
            return 1.0
        native, _emulated = translate.host_architectures(h)
        return 1.0 if native & archs else 0.0


class PerHostShare(_per_host(our_weighers.TenantShareWeigher)):
    def _weigh_object(self, h, spec_obj):
        view = state.for_request(spec_obj).share()
        return weigh.share_score(None if view is None else view.decision(h))


class PerHostArchitecture(our_filters.ArchitectureFilter):
    filter_all = nova_filters.BaseFilter.filter_all


class PerHostShareFilter(our_filters.TenantShareFilter):
    filter_all = nova_filters.BaseFilter.filter_all


OURS = ([our_filters.ArchitectureFilter, our_filters.TenantShareFilter],
        [our_weighers.BinPackWeigher, our_weighers.EmulationWeigher,
         our_weighers.TenantShareWeigher])
PER_HOST = ([PerHostArchitecture, PerHostShareFilter],
            [PerHostBinPack, PerHostEmulation, PerHostShare])


@pytest.fixture
def share_view(monkeypatch):
    """A share plan with per-host pools: four kinds of decision."""
    by_host = {}
    monkeypatch.setattr(state, '_build_share',
                        lambda spec, request: state.ShareView(
                            OWN, {'a': TIGHT, 'b': BORROW, 'c': REFUSE},
                            by_host))
    CONF.set_override('share_plan_file', '/nonexistent', 'docker_scheduler')
    CONF.set_override('read_image_platforms', False, 'docker_scheduler')
    # Not powers of two: a different order of float operations than
    # Nova's would show in the last bits.
    CONF.set_override('binpack_weight_multiplier', 1.7, 'docker_scheduler')
    CONF.set_override('emulation_weight_multiplier', 5.3,
                      'docker_scheduler')
    state.reset()
    yield by_host
    for name in ('share_plan_file', 'read_image_platforms',
                 'binpack_weight_multiplier', 'emulation_weight_multiplier',
                 'packing_mode'):
        CONF.clear_override(name, 'docker_scheduler')
    state.reset()


def schedule(path, hosts, spec, extra_weighers=()):
    """Nova's handlers, as its HostManager calls them."""
    filters, weighers = path
    passed = host_filters.HostFilterHandler().get_filtered_objects(
        [f() for f in filters], hosts, spec, 0)
    weighed = host_weights.HostWeightHandler().get_weighed_objects(
        [w() for w in weighers] + list(extra_weighers), passed, spec)
    return [h.host for h in passed], [(w.obj.host, w.weight)
                                      for w in weighed]


def both(hosts, spec, extra_weighers=()):
    ours = schedule(OURS, hosts, spec, extra_weighers)
    # The reference computes every host's architectures afresh.
    translate.forget()
    ref = schedule(PER_HOST, hosts, spec, extra_weighers)
    return ours, ref


def assign_pools(by_host, hosts, seed=9):
    rnd = random.Random(seed)
    by_host.clear()
    for h in hosts:
        pool = rnd.choice([None, None, 'a', 'b', 'c'])
        if pool:
            by_host[h.host] = {'a': TIGHT, 'b': BORROW, 'c': REFUSE}[pool]


@pytest.mark.parametrize('arch', ['x86_64', 'aarch64', 's390x', None])
def test_same_hosts_and_weights_as_nova_per_host(share_view, arch):
    hosts = make_fleet()
    assign_pools(share_view, hosts)
    (passed, weighed), (ref_passed, ref_weighed) = both(hosts,
                                                        make_spec(arch))
    assert passed == ref_passed
    assert weighed == ref_weighed  # exact floats, same order
    # The fleet exercises what it is meant to.
    assert len(passed) < len(hosts)
    assert len({w for _h, w in weighed}) > len(weighed) // 2


def test_aggregate_multiplier_overrides_are_applied(share_view,
                                                   monkeypatch):
    hosts = make_fleet()
    assign_pools(share_view, hosts)
    weighed = dict(schedule(OURS, hosts, make_spec('x86_64'))[1])

    def option_only(cls):
        # The option's multiplier for every host, aggregates ignored.
        return type(cls.__name__, (cls,), {
            'weight_multiplier': lambda self, h: getattr(
                CONF.docker_scheduler, self.multiplier_name)})

    ignored = dict(schedule(
        (OURS[0], [option_only(w) for w in OURS[1]]), hosts,
        make_spec('x86_64'))[1])
    differ = {h for h in weighed if weighed[h] != ignored[h]}
    overridden = {h.host for h in hosts
                  if any(set(a.metadata) & {'binpack_weight_multiplier',
                                            'emulation_weight_multiplier',
                                            'tenant_share_weight_multiplier'}
                         for a in h.aggregates)}
    # Every host whose weight moved is one an aggregate overrides, and
    # most of those moved (the others got 0 from the normalising).
    assert differ and differ <= overridden
    assert len(differ) > len(overridden & set(weighed)) // 2


def test_spread_mode_and_soft_anti_affinity_group(share_view):
    hosts = make_fleet()
    group = objects.InstanceGroup(policy='soft-anti-affinity',
                                  hosts=[h.host for h in hosts[::5]])
    fast, ref = both(hosts, make_spec('x86_64', group=group))
    assert fast == ref
    CONF.set_override('packing_mode', 'spread', 'docker_scheduler')
    fast, ref = both(hosts, make_spec('aarch64', vcpus=8, ram=16384))
    assert fast == ref


def test_other_weighers_around_ours_sum_the_same(share_view):
    from nova.scheduler.weights import ram
    hosts = make_fleet()
    fast, ref = both(hosts, make_spec('x86_64'),
                     extra_weighers=[ram.RAMWeigher()])
    assert fast == ref


def _refresh(hosts):
    """New, equal lists and dicts, as Nova's HostManager gives each
    request (a host without stats has had no update yet)."""
    for h in hosts:
        h.aggregates = list(h.aggregates)
        h.supported_instances = [list(e) for e in h.supported_instances]
        if getattr(h, 'stats', None) is not None:
            h.stats = dict(h.stats)


def test_host_changes_between_requests_are_seen(share_view):
    """Nova's HostManager gives each request new lists and dicts: equal
    values are not parsed again, and a host that changed architecture,
    emulation or aggregates must not be judged by what was parsed."""
    hosts = make_fleet()
    schedule(OURS, hosts, make_spec('x86_64'))  # parses every host
    _refresh(hosts[40:])  # the first 40 keep their lists, see below
    misses = translate._parse.cache_info().misses
    schedule(OURS, hosts, make_spec('x86_64'))
    assert translate._parse.cache_info().misses == misses  # equal values
    aggs = _aggregates()
    for i, h in enumerate(hosts[:40]):
        if i % 3 == 0:  # changed in place, the very list parsed
            h.supported_instances[0][0] = (
                'aarch64' if h.supported_instances[0][0] == 'x86_64'
                else 'x86_64')
        elif i % 3 == 1:
            h.stats = {'docker_emulated_architectures': 'x86_64,aarch64'}
        else:
            h.aggregates = [aggs['binfmt']] if not h.aggregates else []
    ours, ref = both(hosts, make_spec('x86_64'))
    assert ours == ref
    ours, ref = both(hosts, make_spec('aarch64'))
    assert ours == ref


def test_each_kind_of_host_change_is_seen(share_view):
    """A host changed in place, given a label or an aggregate, or replaced
    by another HostState at its position, is judged by its new values."""
    hosts = make_fleet()
    for h in hosts:
        h.stats = getattr(h, 'stats', None) or {}
    flip = {'x86_64': 'aarch64', 'aarch64': 'x86_64'}

    def in_place(h, arch):  # the very list parsed before
        h.supported_instances[0][0] = arch

    def label(h, arch):
        h.stats['docker_emulated_architectures'] = arch

    def aggregate(h, arch):
        h.aggregates = h.aggregates + [objects.Aggregate(
            id=99, name='emulates-' + arch, hosts=[],
            metadata={'docker_emulated_architectures': arch})]

    def replaced(h, arch):  # another HostState at this position
        other = host_manager.HostState(h.host + 'b', h.nodename, 'cell1')
        other.__dict__.update(h.__dict__)
        other.host = h.host + 'b'
        other.supported_instances = [[arch, 'docker', 'exe']]
        hosts[hosts.index(h)] = other

    for change in (in_place, label, aggregate, replaced):
        for arch in ('x86_64', 'aarch64'):
            schedule(OURS, hosts, make_spec(arch))
            cannot = [h for h in hosts
                      if translate.host_architectures(h)
                      == (frozenset([flip[arch]]), frozenset())][:5]
            assert len(cannot) == 5
            at = [hosts.index(h) for h in cannot]
            for h in cannot:
                change(h, arch)
            ours, ref = both(hosts, make_spec(arch))
            assert ours == ref, change.__name__
            # Each changed host runs the image now.
            assert {hosts[i].host for i in at} <= set(ours[0]), \
                change.__name__


def test_emulation_of_native_hosts_is_seen(share_view):
    """A host that runs x86_64 natively and is given an s390x emulation
    label passes an s390x request, emulated (weighed below native)."""
    hosts = make_fleet()
    for h in hosts:
        h.stats = getattr(h, 'stats', None) or {}
    schedule(OURS, hosts, make_spec('s390x'))
    native = [h for h in hosts if translate.host_architectures(h)
              == (frozenset(['x86_64']), frozenset())][:5]
    assert len(native) == 5
    for h in native:
        h.stats['docker_emulated_architectures'] = 's390x'
    ours, ref = both(hosts, make_spec('s390x'))
    assert ours == ref
    assert {h.host for h in native} <= set(ours[0])
    flags = our_weighers.EmulationWeigher().raw_weights(
        native, make_spec('s390x'))
    assert flags == [0.0] * 5


@pytest.mark.parametrize('arch', ['x86_64', 'aarch64', 's390x', None])
def test_docker_host_filter_passes_what_the_two_filters_pass(share_view,
                                                             arch):
    hosts = make_fleet()
    assign_pools(share_view, hosts)
    handler = host_filters.HostFilterHandler()
    two = handler.get_filtered_objects(
        [f() for f in OURS[0]], hosts, make_spec(arch), 0)
    one = handler.get_filtered_objects(
        [our_filters.DockerHostFilter()], hosts, make_spec(arch), 0)
    assert [h.host for h in one] == [h.host for h in two]
    assert 0 < len(one) < len(hosts)
    # Nova's per-host path through host_passes agrees.
    per_host = [h for h in hosts if our_filters.DockerHostFilter()
                .host_passes(h, make_spec(arch))]
    assert [h.host for h in per_host] == [h.host for h in two]


def test_refusal_returns_no_hosts_and_logs_the_reason(share_view, caplog):
    hosts = make_fleet()
    for h in hosts:
        share_view[h.host] = REFUSE
    handler = host_filters.HostFilterHandler()
    for filters in ([f() for f in OURS[0]], [our_filters.DockerHostFilter()]):
        caplog.clear()
        with caplog.at_level(logging.INFO,
                             logger='scheduler_filters.nova.filters'):
            passed = handler.get_filtered_objects(filters, hosts,
                                                  make_spec('x86_64'), 0)
        assert not passed  # Nova's scheduler raises NoValidHost for that
        assert ('TenantShareFilter: project p: over its share'
                in caplog.text), filters


def test_unknown_architecture_passes_no_host_and_says_why(share_view,
                                                          caplog,
                                                          monkeypatch):
    """An image whose platforms name an architecture nobody knows: no host
    passes (never all of them), no exception, the reason in the log."""
    CONF.set_override('read_image_platforms', True, 'docker_scheduler')
    monkeypatch.setattr(state, '_image_platforms',
                        lambda image_id: 'linux/vax')
    hosts = make_fleet(50)
    spec = make_spec(None)
    spec.image.id = str(uuid.uuid4())
    handler = host_filters.HostFilterHandler()
    for filters in ([our_filters.ArchitectureFilter()],
                    [our_filters.DockerHostFilter()]):
        caplog.clear()
        with caplog.at_level(logging.INFO, logger='scheduler_filters'):
            passed = handler.get_filtered_objects(filters, hosts, spec, 0)
        assert passed == []
        assert "unknown architecture 'vax'" in caplog.text
        assert not any(f.host_passes(h, spec) for f in filters
                       for h in hosts)


def test_docker_host_filter_on_rebuild_checks_architecture_only(share_view):
    hosts = make_fleet()
    for h in hosts:
        share_view[h.host] = REFUSE
    spec = make_spec('aarch64')
    spec.scheduler_hints = {'_nova_check_type': ['rebuild']}
    f = our_filters.DockerHostFilter()
    passed = f.filter_all(hosts, spec)
    expect = [h for h in hosts
              if 'aarch64' in translate.host_architectures(h)[0]
              | translate.host_architectures(h)[1]]
    assert passed == expect and expect
    assert [h for h in hosts if f.host_passes(h, spec)] == expect


def test_emulation_weigher_after_another_filter_removed_hosts(share_view):
    hosts = make_fleet()
    spec = make_spec('x86_64')
    arch_f = our_filters.ArchitectureFilter()
    passed = list(arch_f.filter_all(hosts, spec))
    later = passed[1::2]  # a later filter dropped every other host
    w = our_weighers.EmulationWeigher()
    flags = w.raw_weights(later, spec)
    translate.forget()
    expect = [PerHostEmulation()._weigh_object(h, spec) for h in later]
    assert flags == expect
    assert 0.0 in flags and 1.0 in flags


def test_debug_logging_changes_nothing(share_view):
    hosts = make_fleet()
    info = schedule(OURS, hosts, make_spec('x86_64'))
    log = logging.getLogger('nova.weights')
    old = log.level
    log.setLevel(logging.DEBUG)
    try:
        debug = schedule(OURS, hosts, make_spec('x86_64'))
    finally:
        log.setLevel(old)
    assert debug == info


def test_direct_callers_get_raw_weights(share_view):
    hosts = make_fleet(50)
    spec = make_spec('x86_64')
    wrapped = [host_weights.WeighedHost(h, 0.0) for h in hosts]
    for cls in OURS[1]:
        raw = cls().weigh_objects(wrapped, spec)
        assert len(raw) == len(hosts)
        assert all(w.weight == 0.0 for w in wrapped)

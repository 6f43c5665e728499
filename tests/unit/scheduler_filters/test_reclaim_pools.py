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

"""The reclaim engine per pool, on an in-memory cloud (no Nova, no Docker).

Hosts of an aggregate with a plan override are a pool of their own, as
TenantShareFilter decides: a borrower there gives way only to owners'
demand within that aggregate's plan, and that plan decides who borrows.
"""

import contextlib
import datetime

from scheduler_filters.core import plan as plan_mod
from scheduler_filters.reclaim import cloud
from scheduler_filters.reclaim import engine

NOW = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.timezone.utc)


class MemoryCloud(cloud.Cloud):
    """Servers, hosts and aggregates held in memory; actions change them
    the way Nova would (a shelved-offloaded server leaves its host)."""

    def __init__(self, hosts, aggregates=None):
        self.capacity = hosts  # name -> vcpus
        self.aggs = aggregates
        self.aggregate_calls = 0
        self.by_id = {}
        self.acted = []
        self.host_archs = {}  # host -> native; missing: not known
        self.emulated = {}  # host -> frozenset
        self.image_archs = {}  # image id -> frozenset; missing: any
        self.image_reads = []
        self.failed_times = {}  # server id -> precise failure time
        self.failed_asked = []

    def add(self, sid, project, host, vcpus=2, minute=0, status='ACTIVE',
            fault='', meta=None, image=None):
        self.by_id[sid] = cloud.Server(
            id=sid, name=sid, project_id=project, status=status, host=host,
            created=NOW - datetime.timedelta(minutes=30 - minute),
            updated=NOW - datetime.timedelta(minutes=30 - minute),
            vcpus=vcpus, memory_mb=512, disk_gb=1, metadata=meta or {},
            fault=fault, image_id=image)

    def fail(self, sid, project, vcpus=2, minute=20, image=None):
        self.add(sid, project, None, vcpus, minute, status='ERROR',
                 fault='No valid host was found. There are not enough '
                       'hosts available.', image=image)

    def emulated_architectures(self):
        return dict(self.emulated)

    def failed_at(self, server):
        self.failed_asked.append(server.id)
        return self.failed_times.get(server.id)

    def image_architectures(self, image_id):
        self.image_reads.append(image_id)
        return self.image_archs.get(image_id)

    def servers(self):
        return list(self.by_id.values())

    def hosts(self):
        out = []
        for name, vcpus in self.capacity.items():
            used = [s for s in self.by_id.values()
                    if s.host == name and s.holds_capacity]
            out.append({
                'name': name,
                'total': {'VCPU': vcpus, 'MEMORY_MB': 8192, 'DISK_GB': 100},
                'used': {'VCPU': sum(s.vcpus for s in used),
                         'MEMORY_MB': sum(s.memory_mb for s in used),
                         'DISK_GB': sum(s.disk_gb for s in used)},
                'architectures': self.host_archs.get(name)})
        return out

    def aggregates(self):
        self.aggregate_calls += 1
        return {} if self.aggs is None else self.aggs

    def act(self, server_id, action):
        self.acted.append((server_id, action))
        s = self.by_id[server_id]
        s.status, s.host = 'SHELVED_OFFLOADED', None

    def set_metadata(self, server_id, metadata):
        self.by_id[server_id].metadata.update(metadata)

    def delete_metadata(self, server_id, key):
        self.by_id[server_id].metadata.pop(key, None)


def reclaimer(c, text, **kw):
    kw.setdefault('grace_period', 0.0)
    return engine.Reclaimer(c, plan_mod.loads(text), clock=lambda: 1000.0,
                            wallclock=lambda: NOW, **kw)


def events(records, name):
    return [r for r in records if r['event'] == name]


# ops owns the default pool (h1); research owns the "fast" aggregate
# (fast-1); dev owns nothing anywhere and runs on borrowed capacity.
TWO_POOLS = """
version: 1
resources: [VCPU]
unlisted_projects: deny
projects:
  - name: ops
    owns: {VCPU: 4}
    borrow: false
  - name: dev
    owns: {VCPU: 0}
aggregates:
  fast:
    projects:
      - name: research
        owns: {VCPU: 4}
      - name: dev
        owns: {VCPU: 0}
"""


def two_pools():
    c = MemoryCloud({'h1': 4, 'fast-1': 4}, {'fast': ['fast-1']})
    c.add('o1', 'ops', 'h1', minute=0)
    c.add('d-b', 'dev', 'h1', minute=1)
    # The lowest-priority, newest borrowed instance is in the other pool:
    # over the whole fleet it would go first.
    c.add('d-a1', 'dev', 'fast-1', minute=2,
          meta={'docker_share:priority': '-1'})
    c.add('d-a2', 'dev', 'fast-1', minute=3)
    c.fail('f1', 'ops')
    return c


def test_borrower_in_another_pool_is_not_reclaimed():
    c = two_pools()
    records = reclaimer(c, TWO_POOLS).cycle()
    assert c.acted == [('d-b', 'shelve')]
    [seen] = events(records, 'demand-seen')
    assert (seen['project'], seen['pool']) == ('ops', 'default')
    [done] = events(records, 'reclaim')
    assert (done['server'], done['pool'], done['host']) == ('d-b', 'default',
                                                            'h1')
    # dev borrows in both pools and is marked in both, each naming its pool.
    marked = {(r['server'], r['pool'])
              for r in events(records, 'mark-borrowed')}
    assert marked == {('d-b', 'default'), ('d-a1', 'fast'), ('d-a2', 'fast')}
    assert c.by_id['d-a1'].status == 'ACTIVE'


def test_no_borrower_in_the_pool_means_no_reclaim_elsewhere():
    c = two_pools()
    del c.by_id['d-b']
    c.capacity['h1'] = 2  # ops owns more than its pool has: h1 is full
    records = reclaimer(c, TWO_POOLS).cycle()
    # ops' demand is in the default pool, which has no borrower; freeing
    # fast-1 would not help it (the filter keeps ops out of the fast
    # pool), so nothing is reclaimed.
    assert events(records, 'demand-seen')[0]['pool'] == 'default'
    assert c.acted == []
    assert not events(records, 'reclaim')


# The same projects, but the "fast" aggregate's plan gives ops a share
# there and dev a smaller one; in the default pool ops owns nothing.
OVERRIDE_DECIDES = """
version: 1
resources: [VCPU]
unlisted_projects: deny
projects:
  - name: qa
    owns: {VCPU: 4}
  - name: ops
    owns: {VCPU: 0}
    borrow: false
  - name: dev
    owns: {VCPU: 0}
aggregates:
  fast:
    projects:
      - name: ops
        owns: {VCPU: 4}
      - name: dev
        owns: {VCPU: 2}
"""


def test_the_override_pools_plan_decides():
    c = MemoryCloud({'h1': 4, 'fast-1': 4}, {'fast': ['fast-1', 'h1-x']})
    c.add('q1', 'qa', 'h1', minute=0)
    c.add('q2', 'qa', 'h1', minute=1)
    c.add('d1', 'dev', 'fast-1', minute=2)
    c.add('d2', 'dev', 'fast-1', minute=3)
    c.fail('f1', 'ops')
    records = reclaimer(c, OVERRIDE_DECIDES).cycle()
    # Under the default plan ops owns nothing, so its failure would not be
    # demand; the fast plan gives it 4 VCPU there.
    [seen] = events(records, 'demand-seen')
    assert (seen['project'], seen['pool']) == ('ops', 'fast')
    # dev owns 2 VCPU in the fast plan: only its newest server borrows.
    assert [(r['server'], r['pool']) for r in
            events(records, 'mark-borrowed')] == [('d2', 'fast')]
    assert c.acted == [('d2', 'shelve')]
    assert events(records, 'reclaim')[0]['pool'] == 'fast'


def test_demand_within_share_in_two_pools_is_reclaimed_once():
    text = OVERRIDE_DECIDES.replace(
        '  - name: ops\n    owns: {VCPU: 0}', '  - name: ops\n    owns: '
        '{VCPU: 2}').replace('name: qa\n    owns: {VCPU: 4}',
                             'name: qa\n    owns: {VCPU: 2}')
    c = MemoryCloud({'h1': 4, 'fast-1': 4}, {'fast': ['fast-1']})
    c.add('q1', 'qa', 'h1', minute=0)
    c.add('q2', 'qa', 'h1', minute=1)  # qa borrows ops' idle 2 on h1
    c.add('d1', 'dev', 'fast-1', minute=2)
    c.add('d2', 'dev', 'fast-1', minute=3)
    c.fail('f1', 'ops')
    r = reclaimer(c, text, dry_run=True)
    records = r.cycle()
    assert {e['pool'] for e in events(records, 'demand-seen')} == {
        'default', 'fast'}
    assert len(events(records, 'would-reclaim')) == 1
    assert len(events(records, 'demand-served-elsewhere')) == 1
    assert c.acted == []
    # The served server is not demand again in the next cycle.
    assert not events(r.cycle(), 'demand-seen')


def test_a_plan_without_overrides_does_not_ask_for_aggregates():
    c = two_pools()
    text = TWO_POOLS.split('aggregates:')[0]
    records = reclaimer(c, text, dry_run=True).cycle()
    assert c.aggregate_calls == 0
    # One pool, the whole fleet: the lowest-priority borrower anywhere
    # goes first, as before pools.
    assert [r['server'] for r in events(records, 'would-reclaim')] == [
        'd-a1']
    assert {r['pool'] for r in records if 'pool' in r} == {'default'}


def test_aggregate_missing_from_the_cloud_leaves_hosts_in_default():
    c = two_pools()
    c.aggs = {}
    records = reclaimer(c, TWO_POOLS, dry_run=True).cycle()
    assert {r['pool'] for r in records if 'pool' in r} == {'default'}
    assert [r['server'] for r in events(records, 'would-reclaim')] == [
        'd-a1']


def test_compute_api_aggregates():
    class Transport:
        def get(self, path):
            assert path == '/os-aggregates'
            return {'aggregates': [{'name': 'fast', 'hosts': ['a', 'b']},
                                   {'name': 'empty', 'hosts': None}]}

    assert cloud.ComputeAPICloud(Transport()).aggregates() == {
        'fast': ['a', 'b'], 'empty': []}


# ops owns capacity in both pools; the default pool's host is x86_64, the
# "fast" aggregate's is aarch64. dev borrows a whole host in each.
OWNS_IN_BOTH = """
version: 1
resources: [VCPU]
unlisted_projects: deny
projects:
  - name: ops
    owns: {VCPU: 4}
    borrow: false
  - name: dev
    owns: {VCPU: 0}
aggregates:
  fast:
    projects:
      - name: ops
        owns: {VCPU: 4}
        borrow: false
      - name: dev
        owns: {VCPU: 0}
"""


def mixed_pools(image='img-x86'):
    c = MemoryCloud({'h1': 4, 'fast-1': 4}, {'fast': ['fast-1']})
    c.host_archs = {'h1': frozenset({'x86_64'}),
                    'fast-1': frozenset({'aarch64'})}
    c.image_archs = {'img-x86': frozenset({'x86_64'}),
                     'img-arm': frozenset({'aarch64'})}
    c.add('d-x86', 'dev', 'h1', vcpus=4, minute=1, image='img-x86')
    c.add('d-arm', 'dev', 'fast-1', vcpus=4, minute=2, image='img-arm')
    c.fail('f1', 'ops', image=image)
    return c


def test_demand_is_reclaimed_where_the_image_runs():
    # Within its share in both pools; the aggregate's pool comes first, but
    # its aarch64 host cannot run the x86_64 image: freeing it would not
    # let the owner boot.
    c = mixed_pools('img-x86')
    records = reclaimer(c, OWNS_IN_BOTH).cycle()
    assert c.acted == [('d-x86', 'shelve')]
    assert [(r['project'], r['pool'])
            for r in events(records, 'demand-seen')] == [('ops', 'default')]


def test_an_aarch64_image_is_reclaimed_for_in_the_aarch64_pool():
    c = mixed_pools('img-arm')
    reclaimer(c, OWNS_IN_BOTH).cycle()
    assert c.acted == [('d-arm', 'shelve')]


def test_an_image_of_no_known_architecture_counts_in_every_pool():
    c = mixed_pools(None)  # booted from a volume: no image to read
    records = reclaimer(c, OWNS_IN_BOTH).cycle()
    assert {r['pool'] for r in events(records, 'demand-seen')} == {
        'default', 'fast'}
    assert c.acted == [('d-arm', 'shelve')]  # the first pool to come due
    assert events(records, 'demand-served-elsewhere')


def test_a_host_of_unknown_architecture_may_run_the_image():
    c = mixed_pools('img-x86')
    del c.host_archs['fast-1']
    reclaimer(c, OWNS_IN_BOTH).cycle()
    assert c.acted == [('d-arm', 'shelve')]


def test_an_emulating_host_runs_the_image():
    c = mixed_pools('img-x86')
    c.emulated = {'fast-1': frozenset({'x86_64'})}  # binfmt
    reclaimer(c, OWNS_IN_BOTH).cycle()
    assert c.acted == [('d-arm', 'shelve')]


def test_only_the_failed_servers_images_are_read_once_a_cycle():
    c = mixed_pools('img-x86')
    c.fail('f2', 'ops', vcpus=1, minute=21, image='img-x86')
    reclaimer(c, OWNS_IN_BOTH).cycle()
    assert c.image_reads == ['img-x86']


class CannedAPI:
    """Recorded compute and image API answers, by path."""

    def __init__(self, answers):
        self.answers = answers

    def get(self, path):
        return self.answers[path]


def test_compute_api_cloud_reads_architectures():
    api = CannedAPI({
        '/os-hypervisors/detail': {'hypervisors': [
            {'service': {'host': 'x1'}, 'cpu_info': '{"arch": "x86_64"}'},
            {'service': {'host': 'a1'}, 'cpu_info': {'arch': 'arm64'}},
            {'hypervisor_hostname': 'u1', 'cpu_info': '?'},
            {'service': {'host': 'u2'}, 'cpu_info': '{"arch": "vax"}'}]},
        '/os-aggregates': {'aggregates': [
            {'name': 'binfmt', 'hosts': ['a1', 'u1'],
             'metadata': {'docker_emulated_architectures': 'amd64'}},
            {'name': 'bad', 'hosts': ['x1'],
             'metadata': {'docker_emulated_architectures': 'nonsense'}},
            # An unknown name costs only itself, as in ArchitectureFilter.
            {'name': 'mixed', 'hosts': ['u2'],
             'metadata': {'docker_emulated_architectures':
                          'riscv128,arm64'}}]}})
    images = CannedAPI({
        '/images/i-arm': {'id': 'i-arm', 'hw_architecture': 'aarch64'},
        '/images/i-multi': {'docker_platforms':
                               'linux/amd64,linux/arm64/v8'},
        '/images/i-any': {'id': 'i-any', 'container_format': 'docker'}})
    c = cloud.ComputeAPICloud(api, images=images)
    assert {h['name']: h['architectures'] for h in c.hosts()} == {
        'x1': frozenset({'x86_64'}), 'a1': frozenset({'aarch64'}),
        'u1': None, 'u2': None}  # u1, u2: not known
    assert c.emulated_architectures() == {
        'a1': frozenset({'x86_64'}), 'u1': frozenset({'x86_64'}),
        'u2': frozenset({'aarch64'})}
    assert c.image_architectures('i-arm') == frozenset({'aarch64'})
    assert c.image_architectures('i-multi') == frozenset({'x86_64',
                                                          'aarch64'})
    assert c.image_architectures('i-any') is None
    assert cloud.ComputeAPICloud(api).image_architectures('i-arm') is None


class CountingAPI(CannedAPI):
    def __init__(self, answers):
        super().__init__(answers)
        self.reads = []

    def get(self, path):
        self.reads.append(path)
        return super().get(path)


def test_compute_api_cloud_reads_aggregates_once_a_cycle():
    api = CountingAPI({'/os-aggregates': {'aggregates': [
        {'name': 'binfmt', 'hosts': ['a1'],
         'metadata': {'docker_emulated_architectures': 'amd64'}}]}})
    c = cloud.ComputeAPICloud(api)
    for _cycle in range(2):  # each cycle reads afresh: never stale
        with c.cycle():
            assert c.aggregates() == {'binfmt': ['a1']}
            assert c.emulated_architectures() == {
                'a1': frozenset({'x86_64'})}
    assert api.reads == ['/os-aggregates'] * 2
    c.aggregates()  # outside a cycle: read every time
    c.aggregates()
    assert api.reads == ['/os-aggregates'] * 4


def test_a_cycle_runs_inside_the_clouds_cycle():
    c = mixed_pools('img-x86')
    inside = []

    class Watched(type(c)):
        @contextlib.contextmanager
        def cycle(self):
            inside.append('enter')
            yield self
            inside.append('exit')

        def aggregates(self):
            inside.append('aggregates')
            return super().aggregates()

    c.__class__ = Watched
    reclaimer(c, OWNS_IN_BOTH).cycle()
    assert inside == ['enter', 'aggregates', 'exit']


def test_a_server_names_its_image():
    s = cloud._server({'id': 's1', 'tenant_id': 'p', 'image': {'id': 'i1'},
                       'created': '2026-01-01T00:00:00Z'})
    assert s.image_id == 'i1'
    from_volume = cloud._server({'id': 's2', 'tenant_id': 'p', 'image': '',
                                 'created': '2026-01-01T00:00:00Z'})
    assert from_volume.image_id is None

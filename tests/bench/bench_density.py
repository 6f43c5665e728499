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

"""Bench: what one more container instance costs a host of the all-in-one.

Three series of N instances (``BENCH_DENSITY_N``, 200 by default) on
compute1, one after the other, each removed before the next:

- baseline: ``docker run -d`` of dos/idle with no network and the same
  memory limit as the flavor, on compute1's engine, straight through the
  engine's API;
- servers without a port: POST /servers (admin, pinned to compute1,
  flavor docker.tiny, Glance image dos-idle, ``networks: none``), at most
  ``BENCH_DENSITY_INFLIGHT`` (8) building at a time;
- servers with a Neutron port each, on a network the bench creates.

Before the first and after every N/2 instances of a series it reads the
resident memory (RSS) of nova-compute (compute1), of the engine (dockerd
and containerd; not the per-container shims, which are in the host's
figure), of compute1's ovn-controller and ceilometer-polling (with its
worker), and the host's used memory
(MemTotal - MemAvailable); and nova-compute's threads. Figures: growth per
100 instances of each RSS (from the first checkpoint after the warm-up to
the last), and the host's used memory per instance against the baseline's.

The warm-up of a server series boots ``BENCH_DENSITY_WARMUP`` (32) servers
the way the series does and deletes them before its first checkpoint (at
2 servers). Without it the first half counted one-off costs as growth per
instance: oslo.messaging's RPC executor starts a thread for each message
nova-compute receives until it has 64 (futurist spins one up per submit),
Nova's own pools fill the same way, and glibc's per-thread malloc arenas
and Python's allocator reach their working size. Measured on a nova-compute
under tracemalloc (2026-12-07): from 2 to 52 servers its threads went
from 89 to 107 while the memory Python held grew by 0.3 MiB; the rest of
the RSS growth was memory freed into malloc's arenas and kept there. The
figures also give each half's growth (``..._halves``: a steady growth has
equal halves) and what nova-compute still holds once the series is deleted
(``nova_compute_retained_mib``: growth that stays is retention or a leak,
not a cost per live instance).

Targets (reported, not asserted): nova-compute grows <= 5 MB per 100
instances; the host's memory per instance of a server without a port <=
1.2 x that of the baseline's container. The host figure counts everything
on the machine, so run it on a machine doing nothing else.

For room, the bench raises compute1's VCPU allocation ratio in Placement
(the all-in-one sets only Nova's initial ratio, so Nova keeps the one
Placement has) and the admin project's compute quotas, and puts both back
at the end. Everything it made (servers, containers, network) is removed
at the end, also when it fails.
"""

import math
import os
import sys
import time

import psutil

from tests.bench import bench_aio_boot
from tests.bench import common

N = int(os.environ.get('BENCH_DENSITY_N', '200'))
WARMUP = int(os.environ.get('BENCH_DENSITY_WARMUP', '32'))
INFLIGHT = int(os.environ.get('BENCH_DENSITY_INFLIGHT', '8'))
IMAGE = 'dos/idle:latest'
NAME = 'bench-density-'
PLACEMENT = {'OpenStack-API-Version': 'placement 1.26'}
POLL_S = 2.0
TIMEOUT_S = 900
MiB = 2 ** 20
#: Checkpoint fields that are not bytes.
COUNTS = ('instances', 'nova_compute_threads')


def host_used():
    """MemTotal - MemAvailable, bytes."""
    fields = {}
    with open('/proc/meminfo') as f:
        for line in f:
            name, value = line.split(':', 1)
            fields[name] = int(value.split()[0]) * 1024
    return fields['MemTotal'] - fields['MemAvailable']


def rss(pids):
    total = 0
    for pid in pids:
        try:
            total += psutil.Process(pid).memory_info().rss
        except psutil.NoSuchProcess:
            pass
    return total


class Probes:
    """The processes whose memory the bench follows."""

    def __init__(self, lay):
        from tools.aio import procs
        self.lay, self.procs = lay, procs
        self.engine_state = lay.engines[0].state

    def _pids(self, name, children=False):
        pid = self.procs.Process(self.lay, name).pid()
        if pid is None:
            raise RuntimeError('%s is not running' % name)
        if not children:
            return [pid]
        return [pid] + [c.pid for c in psutil.Process(pid).children(
            recursive=True)]

    def _engine_pids(self):
        pids = []
        for path in ('docker.pid', os.path.join('exec', 'containerd',
                                                'containerd.pid')):
            try:
                with open(os.path.join(self.engine_state, path)) as f:
                    pids.append(int(f.read().split()[0]))
            except (OSError, ValueError, IndexError):
                pass
        if not pids:
            raise RuntimeError('no engine pid under %s' % self.engine_state)
        return pids

    def read(self, count):
        host = self.lay.engines[0].host
        (compute,) = self._pids('nova-compute-%s' % host)
        return {'instances': count, 'host_used': host_used(),
                'nova_compute': rss([compute]),
                'nova_compute_threads': psutil.Process(compute).num_threads(),
                'engine': rss(self._engine_pids()),
                'ovn_controller': rss(self._pids('ovn-controller-%s' %
                                                 host)),
                # cotyledon's master and its polling worker.
                'ceilometer_polling': rss(self._pids(
                    'ceilometer-polling-%s' % host, children=True))}


def _growth_per_100(points, key):
    first, last = points[0], points[-1]
    added = last['instances'] - first['instances']
    return (last[key] - first[key]) / added * 100 / MiB


def _halves_per_100(points, key):
    """The growth per 100 instances between each pair of checkpoints."""
    return [_growth_per_100(pair, key) for pair in zip(points, points[1:])]


def _per_instance(points):
    first, last = points[0], points[-1]
    return (last['host_used'] - first['host_used']) / (
        last['instances'] - first['instances']) / MiB


def network(conn, prefix, cidr):
    """A network ``<prefix>net`` with one subnet, no gateway."""
    net = conn.network.create_network(name=prefix + 'net')
    conn.network.create_subnet(network_id=net.id, ip_version=4, cidr=cidr,
                               name=prefix + 'subnet', gateway_ip=None)
    return net


def count_active(statuses):
    """How many of ``statuses`` ({server id: (status, fault)}) are
    ACTIVE; raises on one in ERROR."""
    for sid, (status, fault) in statuses.items():
        if status == 'ERROR':
            raise RuntimeError('server %s went to ERROR: %s' % (sid, fault))
    return sum(1 for s, _f in statuses.values() if s == 'ACTIVE')


def delete_servers(conn, statuses):
    """Delete each server ``statuses()`` lists (once), until it lists
    none; bounded by TIMEOUT_S."""
    deadline = time.monotonic() + TIMEOUT_S
    asked = set()
    while True:
        left = statuses()
        if not left:
            return
        for sid in set(left) - asked:
            conn.compute.delete('/servers/%s' % sid,
                                microversion=bench_aio_boot.MICROVERSION)
            asked.add(sid)
        if time.monotonic() > deadline:
            raise RuntimeError('%d servers not deleted after %d s'
                               % (len(left), TIMEOUT_S))
        time.sleep(POLL_S)


class Cloud:
    """The bench's room in the all-in-one, and its servers."""

    def __init__(self, lay):
        self.boot = bench_aio_boot.Bench(lay)
        self.conn = self.boot.conn
        self.host = self.boot.host
        self.project = self.conn.current_project_id
        self.quotas = None
        self.ratio = None
        self.rp = None
        self.network = None

    # -- room -----------------------------------------------------------
    def make_room(self, count):
        get = self.boot._get
        self.quotas = get('/os-quota-sets/%s' % self.project)['quota_set']
        self._put_quotas({'instances': -1, 'cores': -1, 'ram': -1})
        rps = self.conn.placement.get(
            '/resource_providers?name=%s' % self.host,
            headers=PLACEMENT).json()['resource_providers']
        if len(rps) != 1:
            raise RuntimeError('no resource provider %s' % self.host)
        self.rp = rps[0]['uuid']
        inv = self._inventory()
        self.ratio = inv['allocation_ratio']
        need = math.ceil((count + 8) * self.boot.flavor['vcpus'] /
                         max(inv['total'] - inv['reserved'], 1))
        if need > self.ratio:
            self._set_ratio(float(need))

    def _put_quotas(self, values):
        resp = self.conn.compute.put(
            '/os-quota-sets/%s' % self.project,
            json={'quota_set': values},
            microversion=bench_aio_boot.MICROVERSION)
        resp.raise_for_status()

    def _inventory(self):
        resp = self.conn.placement.get(
            '/resource_providers/%s/inventories' % self.rp, headers=PLACEMENT)
        resp.raise_for_status()
        body = resp.json()
        self._generation = body['resource_provider_generation']
        return body['inventories']['VCPU']

    def _set_ratio(self, ratio):
        for _attempt in range(5):
            inv = dict(self._inventory(), allocation_ratio=ratio)
            inv['resource_provider_generation'] = self._generation
            resp = self.conn.placement.put(
                '/resource_providers/%s/inventories/VCPU' % self.rp,
                json=inv, headers=PLACEMENT)
            if resp.status_code != 409:  # nova-compute wrote meanwhile
                resp.raise_for_status()
                return
        raise RuntimeError('could not set the VCPU allocation ratio')

    def give_room_back(self):
        if self.rp and self.ratio is not None:
            self._set_ratio(self.ratio)
        if self.quotas:
            self._put_quotas({k: self.quotas[k]
                              for k in ('instances', 'cores', 'ram')})

    # -- servers --------------------------------------------------------
    def make_network(self):
        self.network = network(self.conn, NAME, '10.97.0.0/22')

    def post(self, n, ported, pinned=True):
        """POST one server; its id. Not ``pinned``: Nova's scheduler picks
        the host."""
        networks = ([{'uuid': self.network.id}] if ported else 'none')
        server = {'name': '%s%d' % (NAME, n),
                  'imageRef': self.boot.image_id,
                  'flavorRef': self.boot.flavor['id'], 'networks': networks}
        if pinned:
            server['host'] = self.host
        body = {'server': server}
        resp = self.conn.compute.post(
            '/servers', json=body, microversion=bench_aio_boot.MICROVERSION)
        resp.raise_for_status()
        return resp.json()['server']['id']

    def statuses(self):
        servers = self.boot._get('/servers/detail?name=^%s' % NAME)[
            'servers']
        return {s['id']: (s['status'], s.get('fault')) for s in servers}

    def boot_up_to(self, target, have, ported):
        """Boot servers until ``target`` are ACTIVE (``have`` are)."""
        deadline = time.monotonic() + TIMEOUT_S
        building = set()
        n = have
        while True:
            statuses = self.statuses()
            active = count_active(statuses)
            building = {s for s in building
                        if statuses.get(s, ('BUILD',))[0] != 'ACTIVE'}
            if active >= target:
                return active
            while len(building) < INFLIGHT and n < target:
                building.add(self.post(n, ported))
                n += 1
            if time.monotonic() > deadline:
                raise RuntimeError('%d of %d servers ACTIVE after %d s'
                                   % (active, target, TIMEOUT_S))
            time.sleep(POLL_S)

    def delete_all(self):
        delete_servers(self.conn, self.statuses)

    def close(self):
        """Remove the servers and the network; give the room back."""
        try:
            self.delete_all()
            self.remove_network()
        finally:
            self.give_room_back()

    def remove_network(self):
        if self.network is None:
            return
        net = self.conn.network
        for port in net.ports(network_id=self.network.id):
            if port.device_owner.startswith('compute:'):
                raise RuntimeError('port %s of a server left' % port.id)
        net.delete_network(self.network.id, ignore_missing=True)


def baseline(api, probes, memory):
    """docker run -d of N idle containers: checkpoints."""
    made, points = [], []
    hc = api.create_host_config(network_mode='none', mem_limit=memory)
    try:
        for n in range(N + 1):
            if n in (0, N // 2, N):
                points.append(probes.read(n))
            if n == N:
                break
            cid = api.create_container(IMAGE, host_config=hc,
                                       labels={'bench-density': '1'})['Id']
            made.append(cid)
            api.start(cid)
    finally:
        for cid in made:
            api.remove_container(cid, force=True)
    return points


def series(cloud, probes, ported):
    """(checkpoints at 2, 2 + N/2 and 2 + N servers, the reading once
    they are deleted again)."""
    points = []
    try:
        # Warm-up (see the module doc): booted and deleted, at the
        # series' concurrency; the image is loaded, the pools filled.
        if WARMUP:
            cloud.boot_up_to(WARMUP, 0, ported)
            cloud.delete_all()
        cloud.boot_up_to(2, 0, ported)
        have = 2
        points.append(probes.read(have))
        for target in (2 + N // 2, 2 + N):
            have = cloud.boot_up_to(target, have, ported)
            time.sleep(5)  # what a boot leaves running settles
            points.append(probes.read(have))
    finally:
        cloud.delete_all()
    time.sleep(5)
    return points, probes.read(0)


def main():
    with bench_aio_boot.running_cloud() as lay:
        probes = Probes(lay)
        cloud = Cloud(lay)
        memory = cloud.boot.flavor['ram'] * MiB
        try:
            cloud.make_room(N + 2)
            base = baseline(cloud.boot.docker, probes, memory)
            plain, plain_after = series(cloud, probes, ported=False)
            cloud.make_network()
            ported, ported_after = series(cloud, probes, ported=True)
        finally:
            cloud.close()
    figures = {'instances': N, 'inflight': INFLIGHT, 'warmup': WARMUP}
    # Each checkpoint, in MiB, by the number of instances running then;
    # a series' reading once it was deleted as 'after_delete'.
    for name, points, after in (('baseline', base, None),
                                ('plain', plain, plain_after),
                                ('ported', ported, ported_after)):
        figures['%s_checkpoints_mib' % name] = {
            key: {k: v if k in COUNTS else round(v / MiB, 1)
                  for k, v in p.items() if k != 'instances'}
            for key, p in [(str(p['instances']), p) for p in points] +
            ([('after_delete', after)] if after else [])}
    base_per = _per_instance(base)
    for name, points, after in (('plain', plain, plain_after),
                                ('ported', ported, ported_after)):
        per = _per_instance(points)
        figures[name] = {
            'host_mib_per_instance': per,
            'host_ratio': per / base_per if base_per > 0 else None,
            'nova_compute_mib_per_100': _growth_per_100(points,
                                                        'nova_compute'),
            'nova_compute_mib_per_100_halves': _halves_per_100(
                points, 'nova_compute'),
            'nova_compute_retained_mib': (
                after['nova_compute'] - points[0]['nova_compute']) / MiB,
            'nova_compute_threads': [p['nova_compute_threads']
                                     for p in points + [after]],
            'engine_mib_per_100': _growth_per_100(points, 'engine'),
            'ovn_controller_mib_per_100': _growth_per_100(points,
                                                          'ovn_controller'),
            'ceilometer_polling_mib_per_100': _growth_per_100(
                points, 'ceilometer_polling'),
        }
    figures['baseline'] = {
        'host_mib_per_instance': base_per,
        'engine_mib_per_100': _growth_per_100(base, 'engine')}
    figures['targets'] = {'nova_compute_mib_per_100': 5.0,
                          'host_ratio': 1.2}
    for name in ('plain', 'ported'):
        f = figures[name]
        print('%s: host %.2f MiB per instance (x%.2f of docker run -d, '
              '%.2f MiB); per 100 instances nova-compute +%.1f MiB (halves '
              '%s, %.1f MiB kept after the delete), engine '
              '+%.1f MiB, ovn-controller +%.1f MiB, ceilometer-polling '
              '+%.1f MiB'
              % (name, f['host_mib_per_instance'], f['host_ratio'] or 0,
                 base_per, f['nova_compute_mib_per_100'],
                 ' / '.join('+%.1f' % h
                            for h in f['nova_compute_mib_per_100_halves']),
                 f['nova_compute_retained_mib'],
                 f['engine_mib_per_100'], f['ovn_controller_mib_per_100'],
                 f['ceilometer_polling_mib_per_100']),
              flush=True)
    common.write(figures)
    return 0


if __name__ == '__main__':
    sys.exit(main())

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

"""Bench: a soak of the all-in-one; what is left and what grew.

``SOAK_CYCLES`` boot/delete cycles (12 in ``make bench``, 1000 in ``make
soak``), the kinds in turn: a server with a Neutron port; one with a
config drive and user data; one resized to docker.small and confirmed;
one snapshotted (the image deleted again). With them, spread evenly among
the cycles, ``SOAK_STACKS`` Heat stack create/delete cycles (3; 200) of
two ``OS::Docker::Container`` resources. Every loop is bounded: a cycle
that does not finish within its timeout fails the soak.

``SOAK_WORKERS`` cycles (and stacks) run at once, each worker with its
own API connection (1 in a short soak; 4 in a long one, which takes
about two hours that way on two cores). The cycles run in
blocks between faults: a fault is injected only when no cycle is in
flight, so every fault meets the same quiet cloud a sequential soak
gives it, and the inventories are taken between blocks (the middle one
before the middle block).

Faults, one every 25 cycles (each kind once per 100; in a short soak
each once), the kinds in turn: compute1's engine stopped and the cloud
started again, RabbitMQ restarted, MariaDB restarted, a container killed
from outside. Two resident servers, one on each compute, live through
the whole soak; after each fault each must be ACTIVE with its container
running, or honestly SHUTOFF and start again (bounded waits). A fault
that loses a resident is recorded with its error and the soak goes on.

Before the first cycle, at the middle and at the end, an inventory:
containers and image tags on both engines, the cloud's network
namespaces and the links in every chassis namespace, OVS ports on every
chassis's br-int, OVN logical switch ports, Neutron ports, Placement
allocations against the computes, Nova instances and Heat stacks not
deleted in their databases, the stacks Heat lists, and open file
descriptors, threads and RSS of every service of the cloud. Reported:
everything in the end inventory that was not in the first (leftovers),
the growth of fds and threads, and the RSS growth of each service from
the middle to the end. Targets (reported): zero leftovers; RSS growth <=
5% from the middle to the end; no fault that loses a resident. The RSS
target is judged from ``RSS_JUDGED_FROM`` cycles on: a short soak's
middle comes after a handful of cycles, while the services still warm up
(caches, connection pools, malloc arenas), so there its growth is only
reported.

A service a fault restarted between the middle and the end is two
processes, not one that grew: its figures are reported beside the judged
one. So is growth that is another project's, proven in the same run
(``attributed``): heat-engine's
when the installed Heat keeps every finished stack thread (``heat_probe``:
Heat's own ThreadGroupManager, asked in a child process), Prometheus's
when its head block only gained series and never compacted between the
middle and the end (its own tsdb metrics).
"""

import concurrent.futures
import datetime
import os
import subprocess
import sys
import threading
import time

import psutil
import yaml

from tests.bench import bench_aio_boot
from tests.bench import bench_density
from tests.bench import common

CYCLES = int(os.environ.get('SOAK_CYCLES', '12'))
STACKS = int(os.environ.get('SOAK_STACKS', '3'))
# A fault every FAULT_EVERY cycles, the kinds in turn: each kind once per
# 100 cycles in a long soak, each once in a short one.
FAULT_EVERY = int(os.environ.get('SOAK_FAULT_EVERY') or (
    25 if CYCLES >= 100 else max(1, CYCLES // 4)))
FAULTS = ('engine_restarted', 'rabbitmq_restarted', 'mariadb_restarted',
          'container_killed')
WORKERS = int(os.environ.get('SOAK_WORKERS') or (4 if CYCLES >= 100 else 1))
RESIDENTS = 2
RSS_JUDGED_FROM = 100
NAME = 'soak-'
KINDS = ('networked', 'config_drive', 'resized', 'snapshotted')
CYCLE_TIMEOUT_S = 300
POLL_S = 0.5
TEMPLATE = '''
heat_template_version: 2018-08-31
resources:
  web:
    type: OS::Docker::Container
    properties: {image: dos/httpd}
  worker:
    type: OS::Docker::Container
    properties:
      image: dos/idle
      env: [{list_join: ['', ['WEB=', {get_attr: [web, network_ip]}]]}]
'''


def _template():
    # YAML reads the version as a date; Heat wants the string.
    body = yaml.safe_load(TEMPLATE)
    body['heat_template_version'] = str(body['heat_template_version'])
    return body


class Timeout(RuntimeError):
    pass


#: Polls that met a dropped connection (reported, see _until).
DROPPED_POLLS = []


def _until(what, check, timeout=CYCLE_TIMEOUT_S):
    """``check()`` until it is true, within ``timeout``. A check is a GET:
    one that meets a connection nova-api's gunicorn has just closed
    ("Remote end closed connection without response"; see
    bench_aio_boot.GET_RETRIES) is sent again at the next poll, within
    the same bound, and counted in the figures (a single such GET once
    ended a two-hour soak)."""
    from keystoneauth1 import exceptions as ks_exc
    deadline = time.monotonic() + timeout
    while True:
        try:
            found = check()
        except ks_exc.ConnectFailure as exc:
            DROPPED_POLLS.append('%s: %s' % (what, exc))
            found = None
        if found:
            return found
        if time.monotonic() > deadline:
            raise Timeout('%s: not within %d s' % (what, timeout))
        time.sleep(POLL_S)


def _lines(argv):
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError('%s: %s' % (' '.join(argv), proc.stderr.strip()))
    return [line.strip() for line in proc.stdout.splitlines()
            if line.strip()]


class Inventory:
    """What the cloud holds now, by kind: sets of names, and per-service
    process figures."""

    def __init__(self, lay, conn):
        import docker
        from tools.aio import ovn
        from tools.aio import services
        self.lay, self.conn, self.ovn = lay, conn, ovn
        self.services = services
        self.engines = {e.host: docker.DockerClient(base_url=e.endpoint)
                        for e in lay.engines}

    def _sql(self, user, db, query):
        import sqlalchemy
        engine = sqlalchemy.create_engine(self.lay.database(user, db))
        try:
            with engine.connect() as c:
                return {str(r[0]) for r in c.execute(sqlalchemy.text(query))}
        finally:
            engine.dispose()

    def things(self):
        found = {}
        for host, client in self.engines.items():
            found['containers@' + host] = {
                c.name for c in client.containers.list(all=True)}
            found['image tags@' + host] = {
                t for i in client.images.list() for t in i.tags}
        # This cloud's namespaces (other clouds may share the machine).
        prefix = self.ovn.netns_name(self.lay, '')
        found['netns'] = {line.split()[0] for line in _lines(
            ['ip', 'netns', 'list']) if line.startswith(prefix)}
        for engine in self.lay.engines:
            ns = self.ovn.netns_name(self.lay, engine.host)
            found['links@' + ns] = {
                line.split(':')[1].strip().split('@')[0] for line in _lines(
                    ['ip', '-n', ns, '-o', 'link', 'show'])}
            found['ovs ports@' + engine.host] = set(self.ovn.vsctl(
                self.lay, engine.host, 'list-ports', 'br-int').split())
        found['ovn logical ports'] = set(self.ovn.nbctl(
            self.lay, '--bare', '--columns=name', 'list',
            'Logical_Switch_Port').split())
        found['neutron ports'] = {p.id for p in self.conn.network.ports()}
        consumers = set()
        for rp in self.conn.placement.get(
                '/resource_providers').json()['resource_providers']:
            allocs = self.conn.placement.get(
                '/resource_providers/%s/allocations' % rp['uuid']).json()
            consumers |= set(allocs.get('allocations') or {})
        found['placement consumers'] = consumers
        found['nova instances'] = self._sql(
            'nova', 'nova_cell1',
            "SELECT uuid FROM instances WHERE deleted = 0")
        found['heat stacks'] = self._sql(
            'heat', 'heat', "SELECT id FROM stack WHERE deleted_at IS NULL "
            "AND (action != 'DELETE' OR status != 'COMPLETE')")
        # And what Heat lists (the soak's stacks are the admin project's):
        # a DELETE_COMPLETE stack Heat never removed is listed and holds
        # its name.
        found['heat stacks listed'] = {
            s.id for s in self.conn.orchestration.stacks()}
        return found

    def processes(self):
        """{service: {'rss_mib', 'fds', 'threads'}} of every service."""
        from tools.aio import procs
        out = {}
        for svc in self.services.all_services(self.lay):
            pid = procs.Process(self.lay, svc.name).pid()
            if pid is None:
                continue
            try:
                p = psutil.Process(pid)
                family = [p] + p.children(recursive=True)
                out[svc.name] = {
                    'pid': pid,
                    'rss_mib': round(sum(q.memory_info().rss
                                         for q in family) / 2 ** 20, 1),
                    'fds': sum(q.num_fds() for q in family),
                    'threads': sum(q.num_threads() for q in family)}
            except psutil.NoSuchProcess:
                continue
        return out

    def close(self):
        for client in self.engines.values():
            client.close()


class Soak:
    def __init__(self, lay, network=None):
        self.boot = bench_aio_boot.Bench(lay)
        self.conn = self.boot.conn
        self.compute = self.conn.compute
        self.small = self.boot._flavor('docker.small')
        self.network = network

    def setup(self):
        self.network = bench_density.network(self.conn, NAME, '10.96.0.0/24')

    def teardown(self):
        for server in self.compute.servers(name='^' + NAME):
            self.compute.delete_server(server.id)
            self._gone(server.id)
        for image in self.conn.image.images():
            if image.name and image.name.startswith(NAME):
                self.conn.image.delete_image(image.id)
        if self.network is not None:
            self.conn.network.delete_network(self.network.id,
                                             ignore_missing=True)

    def _server(self, sid, status):
        server = self.compute.get_server(sid)
        if server.status == 'ERROR':
            raise RuntimeError('server %s went to ERROR: %s'
                               % (sid, server.fault))
        return server if server.status == status else None

    def _gone(self, sid):
        _until('delete of %s' % sid,
               lambda: self.compute.find_server(sid) is None)

    def cycle(self, n):
        kind = KINDS[n % len(KINDS)]
        fields = dict(name='%s%d' % (NAME, n), image_id=self.boot.image_id,
                      flavor_id=self.boot.flavor['id'],
                      networks=[{'uuid': self.network.id}])
        if kind == 'config_drive':
            fields.update(config_drive=True,
                          user_data='IyEvYmluL3NoCmVjaG8gc29haw==')
        server = self.compute.create_server(**fields)
        try:
            _until('boot of %s' % server.id,
                   lambda: self._server(server.id, 'ACTIVE'))
            if kind == 'resized':
                self.compute.resize_server(server.id, self.small['id'])
                _until('resize of %s' % server.id,
                       lambda: self._server(server.id, 'VERIFY_RESIZE'))
                self.compute.confirm_server_resize(server.id)
                _until('confirm of %s' % server.id,
                       lambda: self._server(server.id, 'ACTIVE'))
            elif kind == 'snapshotted':
                image = self.compute.create_server_image(
                    server.id, '%s%d-snap' % (NAME, n), wait=False)
                image_id = getattr(image, 'id', image)
                try:
                    _until('snapshot of %s' % server.id, lambda: (
                        self.conn.image.get_image(image_id).status
                        == 'active'))
                finally:
                    self.conn.image.delete_image(image_id,
                                                 ignore_missing=True)
        finally:
            self.compute.delete_server(server.id)
            self._gone(server.id)
        return kind

    def stack(self, n):
        heat = self.conn.orchestration
        stack = heat.create_stack(name='%sstack-%d' % (NAME, n),
                                  template=_template())
        try:
            done = _until('stack %s' % stack.id, lambda: (
                lambda s: s if s.status != 'CREATE_IN_PROGRESS' else None)(
                    heat.get_stack(stack.id)))
            if done.status != 'CREATE_COMPLETE':
                raise RuntimeError('stack %s: %s %s' % (
                    stack.id, done.status, done.status_reason))
        finally:
            heat.delete_stack(stack.id)

            def gone():
                # DELETE_COMPLETE comes before Heat removes the stack's
                # row: until then the stack is listed and holds its name (a
                # MariaDB fault in that window left one listed for good,
                # its name taken, "not found" to a delete). A stack is
                # deleted when Heat no longer lists it.
                for listed in heat.stacks(name=stack.name):
                    if listed.id != stack.id:
                        continue
                    if listed.status == 'DELETE_FAILED':
                        raise RuntimeError('stack %s: DELETE_FAILED %s' % (
                            stack.id, listed.status_reason))
                    return False
                return True

            _until('stack delete %s' % stack.id, gone)


class Faults:
    """Faults injected between cycles, and the residents' recovery: two
    servers that live through the whole soak. After a fault each must be
    ACTIVE with its container running, or SHUTOFF and start again."""

    def __init__(self, lay, soak, inv):
        self.lay, self.soak, self.inv = lay, soak, inv
        self.residents = []
        self.outcomes = []

    def make_residents(self):
        """One resident on each compute host in turn (an admin's
        ``nova:<host>`` zone): the engine fault always meets one, and
        every engine has loaded the image (a one-time cost) before the
        first inventory, not in the middle of the soak."""
        hosts = [engine.host for engine in self.lay.engines]
        for i in range(RESIDENTS):
            server = self.soak.compute.create_server(
                name='%sresident-%d' % (NAME, i),
                image_id=self.soak.boot.image_id,
                flavor_id=self.soak.boot.flavor['id'],
                availability_zone='nova:%s' % hosts[i % len(hosts)],
                networks=[{'uuid': self.soak.network.id}])
            self.residents.append(server.id)
        for sid in self.residents:
            _until('boot of resident %s' % sid,
                   lambda sid=sid: self.soak._server(sid, 'ACTIVE'))

    def _restart(self, name):
        from tools.aio import procs
        procs.Process(self.lay, name).stop()
        self._start_cloud()

    def _start_cloud(self):
        subprocess.run([sys.executable, '-m', 'tools.aio', 'start'],
                       check=True, stdout=subprocess.DEVNULL)

    def inject(self, kind):
        self.injected_at = datetime.datetime.now(datetime.timezone.utc)
        if kind == 'engine_restarted':
            engine = self.lay.engines[0]
            script = os.path.join(os.path.dirname(os.path.dirname(
                os.path.dirname(os.path.abspath(__file__)))), 'tools',
                'docker-engine.sh')
            subprocess.run([script, 'stop'], env=engine.env(), check=True,
                           stdout=subprocess.DEVNULL)
            self._start_cloud()
        elif kind == 'rabbitmq_restarted':
            self._restart('rabbitmq')
        elif kind == 'mariadb_restarted':
            self._restart('mariadb')
        elif kind == 'container_killed':
            sid = self.residents[0]
            host = self.soak.compute.get_server(sid).compute_host
            self.inv.engines[host].containers.get('nova-%s' % sid).kill()
        else:
            raise ValueError(kind)

    def _running(self, sid, host):
        try:
            return self.inv.engines[host].containers.get(
                'nova-%s' % sid).status == 'running'
        except Exception:  # noqa: BLE001 - gone is not running
            return False

    def _settled(self, sid):
        """'active' (ACTIVE, its container running), 'shutoff', or None."""
        server = self.soak.compute.get_server(sid)
        if server.status == 'SHUTOFF':
            return 'shutoff'
        if server.status == 'ACTIVE' and not server.task_state and \
                self._running(sid, server.compute_host):
            return 'active'
        return None

    def computes_reported(self):
        """Every nova-compute up and reported in since the fault. After a
        RabbitMQ restart a compute's state report can hang for up to its
        RPC timeout, and Nova's API refuses a resize of a server whose
        host has not reported for service_down_time (409 "Service is
        unavailable"): as an operator would, the soak goes on once every
        compute has reported again."""
        computes = list(self.soak.compute.services(binary='nova-compute'))
        return bool(computes) and all(
            svc.state == 'up' and svc.updated_at and
            datetime.datetime.fromisoformat(svc.updated_at).replace(
                tzinfo=datetime.timezone.utc) > self.injected_at
            for svc in computes)

    def recover(self, kind, cycle):
        started = time.monotonic()
        outcome = {'kind': kind, 'cycle': cycle, 'active': 0,
                   'restarted': 0, 'error': None}
        try:
            for sid in self.residents:
                state = _until('%s: resident %s ACTIVE with its container '
                               'running, or SHUTOFF' % (kind, sid),
                               lambda sid=sid: self._settled(sid),
                               timeout=180)
                if state == 'shutoff':
                    self.soak.compute.start_server(sid)
                    _until('%s: resident %s started again' % (kind, sid),
                           lambda sid=sid: self._settled(sid) == 'active',
                           timeout=180)
                    outcome['restarted'] += 1
                else:
                    outcome['active'] += 1
            _until('%s: every nova-compute reported in again' % kind,
                   self.computes_reported, timeout=180)
        except Exception as exc:  # noqa: BLE001 - recorded, soak goes on
            outcome['error'] = str(exc)
        outcome['seconds'] = round(time.monotonic() - started, 1)
        self.outcomes.append(outcome)
        return outcome

    def remove_residents(self):
        for sid in self.residents:
            self.soak.compute.delete_server(sid, ignore_missing=True)
        for sid in self.residents:
            self.soak._gone(sid)


class Workers:
    """Runs blocks of cycles or stacks on ``WORKERS`` threads, each thread
    with its own ``Soak`` (its own API connections) on the shared
    network. A block returns when every item of it has finished; the
    first failure is raised then, after the others have finished."""

    def __init__(self, lay, soak, workers=WORKERS):
        self.lay, self.soak = lay, soak
        self.local = threading.local()
        self.pool = concurrent.futures.ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix='soak')

    def _own(self):
        own = getattr(self.local, 'soak', None)
        if own is None:
            own = self.local.soak = Soak(self.lay, self.soak.network)
        return own

    def block(self, items):
        """Run ``items`` ([(Soak method name, number)]); their results."""
        futures = [self.pool.submit(
            lambda m=m, n=n: getattr(self._own(), m)(n)) for m, n in items]
        concurrent.futures.wait(futures)
        return [f.result() for f in futures]

    def close(self):
        self.pool.shutdown(wait=True)


def plan(cycles, stacks, every):
    """The soak's blocks of work: [(cycle numbers, stack numbers)], the
    cycles ``every`` to a block (a fault after each full one), the stacks
    spread evenly over the blocks, so that both halves of the soak run the
    same mix and the middle-to-end growth compares like with like."""
    count = max(1, -(-cycles // every))
    out = [(list(range(b * every, min(cycles, (b + 1) * every))), [])
           for b in range(count)]
    for j in range(stacks):
        out[j * count // stacks][1].append(j)
    return out


#: Run by the cloud's Python: how many finished threads Heat's
#: ThreadGroupManager still holds after one operation of a stack ran.
HEAT_PROBE = """
from oslo_service import backend
backend.init_backend(backend.BackendType.THREADING)
from heat.engine import service
groups = service.ThreadGroupManager()
groups.start('soak-probe', lambda: None).join()
print(len(groups.groups['soak-probe'].threads))
"""
PROMETHEUS_HEAD = ('prometheus_tsdb_head_series',
                   'prometheus_tsdb_compactions_total',
                   'prometheus_tsdb_head_series_removed_total')


def heat_probe(python=sys.executable):
    """True when the installed Heat keeps a stack's finished threads (and
    with them the stack, its context and its Keystone sessions) until the
    engine restarts."""
    out = subprocess.run([python, '-c', HEAT_PROBE], capture_output=True,
                         text=True, timeout=120, check=True).stdout
    return int(out.split()[-1]) > 0


def prometheus_head(port):
    """Prometheus's own head-block figures (``PROMETHEUS_HEAD``)."""
    import urllib.request
    with urllib.request.urlopen('http://127.0.0.1:%d/metrics' % port,
                                timeout=10) as resp:
        text = resp.read().decode()
    found = {}
    for line in text.splitlines():
        name, _, value = line.partition(' ')
        if name in PROMETHEUS_HEAD:
            found[name] = float(value)
    return found


def attributed(grew, heat_keeps, head_middle, head_end):
    """{service: cause} of growth that is not one process of ours growing:
    a service restarted in between (by a fault), or growth proven to be
    another project's."""
    out = {name: 'restarted between the middle and the end (a fault): '
                 'two processes' for name, g in grew.items()
           if g.get('restarted')}
    if heat_keeps and 'heat-engine' in grew and 'heat-engine' not in out:
        out['heat-engine'] = (
            'Heat keeps every finished stack thread with its stack, '
            'context and Keystone sessions (ThreadGroupManager) until it '
            'restarts')
    compacted = (head_end.get('prometheus_tsdb_compactions_total', 0) -
                 head_middle.get('prometheus_tsdb_compactions_total', 0))
    series = (head_end.get('prometheus_tsdb_head_series', 0) -
              head_middle.get('prometheus_tsdb_head_series', 0))
    if ('prometheus' in grew and 'prometheus' not in out and not compacted
            and series > 0):
        out['prometheus'] = (
            'its head block kept %d more series and did not compact (it '
            'does when it spans 3 h)' % series)
    return out


def rss_by_block(samples):
    """{service: [RSS MiB after each block]} from per-block samples; a
    block where a service was not running has None."""
    names = sorted({name for sample in samples for name in sample})
    return {name: [sample.get(name) for sample in samples] for name in names}


def leftovers(before, after):
    return {kind: sorted(after[kind] - before.get(kind, set()))
            for kind in after if after[kind] - before.get(kind, set())}


def growth(middle, end):
    """{service: {'rss_pct', 'fds', 'threads'}} from middle to end."""
    out = {}
    for name, m in middle.items():
        e = end.get(name)
        if e is None:
            continue
        out[name] = {
            'rss_pct': round((e['rss_mib'] - m['rss_mib']) /
                             m['rss_mib'] * 100, 1) if m['rss_mib'] else 0,
            'fds': e['fds'] - m['fds'], 'threads': e['threads'] - m['threads'],
            # A fault restarted it in between: two processes, not growth.
            'restarted': m.get('pid') != e.get('pid')}
    return out


def main():
    with bench_aio_boot.running_cloud() as lay:
        soak = Soak(lay)
        inv = Inventory(lay, soak.conn)
        faults = Faults(lay, soak, inv)
        workers = Workers(lay, soak)
        kinds = {}
        try:
            # One of each kind first, so that one-time costs (an image
            # loaded, a cache filled) are in the first inventory.
            soak.setup()
            for n in range(len(KINDS)):
                soak.cycle(n)
            soak.stack(0)
            faults.make_residents()
            first, procs_first = inv.things(), inv.processes()
            prom_port = lay.port('prometheus')
            head = {'start': prometheus_head(prom_port)}
            started = time.monotonic()
            middle = procs_middle = None
            by_block = []
            blocks = plan(CYCLES, STACKS, FAULT_EVERY)
            for index, (cycles, stacks) in enumerate(blocks):
                if index == len(blocks) // 2:
                    middle, procs_middle = inv.things(), inv.processes()
                    head['middle'] = prometheus_head(prom_port)
                done = workers.block(
                    [('cycle', len(KINDS) + n) for n in cycles] +
                    [('stack', 1 + n) for n in stacks])
                for kind in done[:len(cycles)]:
                    kinds[kind] = kinds.get(kind, 0) + 1
                # RSS after every block: a slope tells a leak from a
                # warm-up that middle and end alone cannot.
                by_block.append({k: v['rss_mib']
                                 for k, v in inv.processes().items()})
                ran = cycles[-1] + 1 if cycles else 0
                if len(cycles) == FAULT_EVERY:
                    fault = FAULTS[len(faults.outcomes) % len(FAULTS)]
                    faults.inject(fault)
                    print('fault after cycle %d: %s -> %s' % (
                        ran, fault, faults.recover(fault, ran)),
                        flush=True)
                if ran % 100 == 0 and cycles:
                    print('%d cycles, %d stacks, %.0f s' % (
                        ran, sum(len(b[1]) for b in blocks[:index + 1]),
                        time.monotonic() - started), flush=True)
            elapsed = time.monotonic() - started
            end, procs_end = inv.things(), inv.processes()
            head['end'] = prometheus_head(prom_port)
        finally:
            try:
                workers.close()
                faults.remove_residents()
                soak.teardown()
            finally:
                inv.close()
    left = leftovers(first, end)
    grew = growth(procs_middle, procs_end)
    others = attributed(grew, heat_probe(), head['middle'], head['end'])
    worst = max(((k, v) for k, v in grew.items() if k not in others),
                key=lambda kv: kv[1]['rss_pct'])
    figures = {
        # make soak's full run keeps its own row next to make bench's.
        'summary_key': 'soak_full' if CYCLES >= 1000 else 'soak',
        'cycles': CYCLES, 'stacks': STACKS, 'kinds': kinds,
        'workers': WORKERS,
        'seconds': round(elapsed, 1),
        'leftovers': {k: v[:20] for k, v in left.items()},
        'leftover_count': sum(len(v) for v in left.values()),
        'middle_leftovers': sum(len(v) for v in leftovers(first,
                                                          middle).values()),
        'rss_growth_middle_to_end_pct': {k: v['rss_pct']
                                         for k, v in grew.items()},
        'fd_growth': {k: v['fds'] for k, v in grew.items() if v['fds']},
        'thread_growth': {k: v['threads'] for k, v in grew.items()
                          if v['threads']},
        'rss_mib': {'start': {k: v['rss_mib'] for k, v in
                              procs_first.items()},
                    'end': {k: v['rss_mib'] for k, v in procs_end.items()},
                    'by_block': rss_by_block(by_block)},
        'worst_rss_growth': {'service': worst[0],
                             'pct': worst[1]['rss_pct']},
        'attributed': {k: {'rss_pct': grew[k]['rss_pct'],
                           'fds': grew[k]['fds'], 'cause': v}
                       for k, v in others.items()},
        'prometheus_head': head,
        'faults': faults.outcomes,
        'faults_failed': sum(1 for o in faults.outcomes if o['error']),
        'dropped_polls': len(DROPPED_POLLS),
        'dropped_poll_examples': DROPPED_POLLS[:5],
        'targets': {'leftover_count': 0, 'faults_failed': 0,
                    'rss_growth_pct_max': (5.0 if CYCLES >= RSS_JUDGED_FROM
                                           else None)},
    }
    print('soak: %d cycles %s and %d stacks in %.0f s; leftovers %d %s; '
          'worst RSS growth middle->end %s %+.1f%%; faults %d, failed %d'
          % (CYCLES, kinds, STACKS, elapsed, figures['leftover_count'],
             sorted(left), worst[0], worst[1]['rss_pct'],
             len(faults.outcomes), figures['faults_failed']), flush=True)
    common.write(figures)
    return 0


if __name__ == '__main__':
    sys.exit(main())

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

"""Bench: Nova boot-to-ACTIVE on the all-in-one cloud, against raw Docker.

bench_nova_driver measures Nova in one Python process with in-memory RPC.
This one measures the shape of a deployment: the all-in-one's separate
processes (Keystone, Placement, nova-api under gunicorn, conductor,
scheduler, two nova-compute with the Docker driver, Glance) talking over
RabbitMQ, through the REST API with a Keystone token.

Baseline, same run, same engine (compute1's) and image (dos/idle, as
Glance image dos-idle): ``docker create`` + ``start`` with the flavor's
limits. Subject: POST /servers (admin, pinned to compute1 with the 2.74
``host`` field, flavor docker.tiny, no network) until Nova saved ACTIVE.
The end is the time stamp (milliseconds, same clock) of nova-compute's
"Took ... seconds to build instance." log line for the server, written
right after it saved ACTIVE and sent instance.create.end: this cloud's
database keeps whole seconds, so ``launched_at`` cannot time it, and
polling the API finely would load nova-api (about 12 ms of it per GET)
while it serves the boot. The bench reads the log every 20 ms and asks the
API only every 2 s (a failed boot writes no build line) and once at the
end.

Samples alternate (baseline, boot); each server is deleted before the
next sample. Starts the all-in-one if it is not running (about 3 min) and
stops it again afterwards in that case. Target (reported, not asserted):
boot p50 <= 3 x raw p50.
"""

import contextlib
import datetime
import os
import re
import subprocess
import sys
import time

from tests.bench import common

ROUNDS = int(os.environ.get('BENCH_AIO_ROUNDS', '20'))
IMAGE = 'dos/idle:latest'
# The end of a boot is read from nova-compute's log (see above); the API is
# asked only every API_POLL_S, to notice a boot that failed, and once at
# the end. Polling GET /servers/<id> every 100 ms, as this bench first did,
# cost nova-api 20-45 ms of CPU per request on this 2-core machine while it
# served the boot (py-spy): load the measurement put on what it measured.
# (The openstack CLI's `server create --wait` polls every 5 s.)
LOG_POLL_S = 0.02
API_POLL_S = 2.0
POLL_S = 0.1  # deletes, between samples
MICROVERSION = '2.74'  # the 'host' field of POST /servers
# A GET may meet a kept-alive connection that nova-api's gunicorn has just
# closed ("Remote end closed connection without response", seen once, when
# gunicorn's keepalive was 2 s like API_POLL_S; tools/aio/serve.py keeps
# idle connections longer now); GETs are safe to send again, the POST is
# never retried.
GET_RETRIES = 2


_BUILT = re.compile(r'^(\S+ \S+) .*\[instance: ([0-9a-f-]+)\] Took '
                    r'[0-9.]+ seconds to build instance')
# The driver's own line, just before it: where the spawn's time went.
_SPAWNED = re.compile(r'.*\[instance: ([0-9a-f-]+)\] Spawn took ([0-9.]+) s: '
                      r'([0-9.]+) s waiting for the ports, ([0-9.]+) s in '
                      r'the driver, ([0-9.]+) s waiting for network-vif-')


def _local_epoch(stamp):
    # oslo.log writes local time, milliseconds: '2026-11-26 10:48:02.851'.
    return datetime.datetime.strptime(
        stamp, '%Y-%m-%d %H:%M:%S.%f').timestamp()


class LogTail:
    """The lines of some log files written after they were first seen."""

    def __init__(self, paths):
        self.offsets = {path: os.path.getsize(path) for path in paths}

    def lines(self):
        """Every complete line written since the last call."""
        for path in self.offsets:
            with open(path) as f:
                f.seek(self.offsets[path])
                for line in f:
                    if not line.endswith('\n'):
                        break  # not all written yet: read it next time
                    self.offsets[path] += len(line.encode())
                    yield line


class BuildLog:
    """nova-compute's build and spawn lines of the given compute logs."""

    def __init__(self, paths):
        self.tail = LogTail(paths)
        self.built = {}  # server id -> epoch of its build log line
        # server id -> {'total', 'ports', 'driver', 'events'}: seconds
        self.spawned = {}

    def read(self):
        for line in self.tail.lines():
            m = _BUILT.match(line)
            if m:
                self.built[m.group(2)] = _local_epoch(m.group(1))
            m = _SPAWNED.match(line)
            if m:
                self.spawned[m.group(1)] = dict(zip(
                    ('total', 'ports', 'driver', 'events'),
                    map(float, m.group(2, 3, 4, 5))))


def compute_log(lay, host):
    return os.path.join(lay.logs, 'nova-compute-%s.log' % host)


class Bench:
    def __init__(self, lay):
        import docker
        import openstack
        os.environ.update(OS_CLIENT_CONFIG_FILE=lay.clouds_yaml)
        self.conn = openstack.connect(cloud='aio-admin')
        self.compute = self.conn.compute
        engine = lay.engines[0]
        self.host = engine.host
        self.docker = docker.DockerClient(base_url=engine.endpoint).api
        self.log = compute_log(lay, self.host)
        self.build_log = BuildLog([self.log])
        self.last_spawn = None  # that of the last boot()
        self.image_id = self._image_id('dos-idle')
        self.flavor = self._flavor('docker.tiny')

    def _get(self, path):
        resp = self.compute.get(path, microversion=MICROVERSION,
                                connect_retries=GET_RETRIES)
        resp.raise_for_status()
        return resp.json()

    def _image_id(self, name):
        found = list(self.conn.image.images(name=name))
        if not found:
            raise RuntimeError('Glance image %s missing' % name)
        return found[0].id

    def _flavor(self, name):
        for f in self._get('/flavors/detail')['flavors']:
            if f['name'] == name:
                return f
        raise RuntimeError('flavor %s missing' % name)

    def raw(self):
        hc = self.docker.create_host_config(
            network_mode='none', mem_limit=self.flavor['ram'] * 2**20,
            cpu_quota=self.flavor['vcpus'] * 100000, cpu_period=100000)
        start = time.monotonic()
        cid = self.docker.create_container(IMAGE, host_config=hc)['Id']
        self.docker.start(cid)
        elapsed = time.monotonic() - start
        self.docker.remove_container(cid, force=True)
        return elapsed

    def boot(self, n, networks='none', image_id=None, probe=None,
             **fields):
        """Seconds from POST to ACTIVE; with ``probe`` (started right
        after the POST, waited for after ACTIVE), also its result.
        ``fields`` go into the request's server as they are."""
        body = {'server': dict(fields, name='bench-aio-%d' % n,
                               imageRef=image_id or self.image_id,
                               flavorRef=self.flavor['id'],
                               networks=networks, host=self.host)}
        posted = time.time()
        resp = self.compute.post('/servers', json=body,
                                 microversion=MICROVERSION)
        resp.raise_for_status()
        sid = resp.json()['server']['id']
        try:
            if probe is not None:
                probe.start()
            now = time.monotonic()
            deadline, next_get = now + 120, now + API_POLL_S
            built = self.build_log.built
            while sid not in built:
                self.build_log.read()
                if sid in built:
                    break
                now = time.monotonic()
                if now >= next_get:  # a failed boot writes no build line
                    next_get = now + API_POLL_S
                    self._check(sid, ('BUILD', 'ACTIVE'))
                if now > deadline:
                    raise RuntimeError('no build log line for %s in %s '
                                       'after 120 s' % (sid, self.log))
                time.sleep(LOG_POLL_S)
            self._check(sid, ('ACTIVE',))
            active = built.pop(sid) - posted
            self.last_spawn = self.build_log.spawned.pop(sid, None)
            if probe is None:
                return active
            return active, probe.wait() - posted
        finally:
            self._delete(sid)

    def _check(self, sid, expected):
        server = self._get('/servers/%s' % sid)['server']
        if server['status'] not in expected:
            raise RuntimeError('server %s is %s, not %s: %s' % (
                sid, server['status'], ' or '.join(expected),
                server.get('fault') or {}))

    def _delete(self, sid):
        self.compute.delete('/servers/%s' % sid, microversion=MICROVERSION)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            resp = self.compute.get('/servers/%s' % sid,
                                    microversion=MICROVERSION,
                                    connect_retries=GET_RETRIES)
            if resp.status_code == 404:
                return
            time.sleep(POLL_S)
        raise RuntimeError('server %s not deleted after 120 s' % sid)


@contextlib.contextmanager
def running_cloud():
    """The all-in-one's layout, the cloud started for the block if it was
    not running (and stopped again after it)."""
    from tools.aio import cloud as cloud_mod
    from tools.aio import layout
    lay = layout.Layout()
    was_running = all(running for _n, _p, running, _ok in
                      cloud_mod.Cloud(lay).status())
    if not was_running:
        rc = subprocess.call([sys.executable, '-m', 'tools.aio', 'start'])
        if rc:
            raise RuntimeError('the all-in-one did not start')
    try:
        yield lay
    finally:
        if not was_running:
            subprocess.call([sys.executable, '-m', 'tools.aio', 'stop'])


def main():
    with running_cloud() as lay:
        bench = Bench(lay)
        bench.raw()
        bench.boot(0)  # warm-up: the driver loads the Glance image once
        raw, boots = [], []
        for n in range(1, ROUNDS + 1):
            raw.append(bench.raw())
            boots.append(bench.boot(n))
    r, b = common.summary(raw), common.summary(boots)
    figures = {
        'rounds': ROUNDS, 'raw_create_start_s': r,
        'api_boot_to_active_s': b,
        'boot_ratio_p50': b['p50'] / r['p50'],
        'boot_ratio_p95': b['p95'] / r['p95'],
        'targets': {'boot_ratio_p50': 3.0}}
    print('all-in-one: raw docker create+start p50 %.3f s p95 %.3f s | '
          'API boot-to-ACTIVE p50 %.3f s p95 %.3f s (x%.2f / x%.2f; '
          'target <= 3)' % (r['p50'], r['p95'], b['p50'], b['p95'],
                            figures['boot_ratio_p50'],
                            figures['boot_ratio_p95']), flush=True)
    common.write(figures)
    return 0


if __name__ == '__main__':
    sys.exit(main())

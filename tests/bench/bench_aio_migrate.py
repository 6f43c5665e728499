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

"""Bench: cold migration of a container with 100 MB written, on the
all-in-one, against moving it with Docker alone.

Baseline, same run, same engines (compute1's and compute2's) and image
(dos/idle): a container on engine 1 with 100 MB of random data written into
its filesystem, then, timed: ``docker commit`` on engine 1, ``docker save``
of the commit streamed straight into ``docker load`` on engine 2, and
``docker create`` + ``start`` of the loaded image on engine 2.

Subject: a server (flavor docker.tiny, no network) on compute1 with the
same 100 MB written into its container, then, timed: POST ``migrate``
(admin, to compute2) until the container runs on compute2. The move goes
through Glance: commit, ``docker save`` streamed into a hidden image, the
image streamed into ``docker load``, create, start; plus Nova's own
pipeline (API, conductor, scheduler, claims, RPC, port bindings). The end
is the time stamp (milliseconds) of the destination's "Container moved in
from ... and started" log line, after which Nova saves VERIFY_RESIZE (then
checked through the API): as in bench_aio_boot, polling the API finely
would load nova-api on this 2-core machine while it serves the move, so
the log is read every 20 ms and the API asked every 2 s (a failed move
writes no line). Each server is confirmed and deleted before the next
sample.

Samples alternate (baseline, migration). Starts the all-in-one if it is not
running and stops it again afterwards in that case. Target (reported, not
asserted): migration p50 <= 2 x baseline p50.
"""

import os
import re
import sys
import time

from tests.bench import bench_aio_boot
from tests.bench import common

ROUNDS = int(os.environ.get('BENCH_AIO_MIGRATE_ROUNDS', '7'))
IMAGE = 'dos/idle:latest'
WRITE_MB = 100
POLL_S = 0.25  # between other steps (boot, confirm, delete)
LOG_POLL_S = 0.02
API_POLL_S = 2.0
_MOVED_IN = re.compile(r'^(\S+ \S+) .*\[instance: ([0-9a-f-]+)\] Container '
                       r'moved in from \S+ and started')
MICROVERSION = '2.74'
TARGET = 2.0
WRITE = ['sh', '-c', 'dd if=/dev/urandom of=/payload bs=1M count=%d '
         '2>/dev/null && sync' % WRITE_MB]


class Bench:
    def __init__(self, lay):
        import docker
        import openstack
        os.environ.update(OS_CLIENT_CONFIG_FILE=lay.clouds_yaml)
        self.conn = openstack.connect(cloud='aio-admin')
        self.compute = self.conn.compute
        self.src_host, self.dst_host = (lay.engines[0].host,
                                        lay.engines[1].host)
        self.src = docker.DockerClient(base_url=lay.engines[0].endpoint).api
        self.dst = docker.DockerClient(base_url=lay.engines[1].endpoint).api
        self.dst_log = bench_aio_boot.compute_log(lay, self.dst_host)
        self.image_id = list(self.conn.image.images(name='dos-idle'))[0].id
        self.flavor = [f for f in self._get('/flavors/detail')['flavors']
                       if f['name'] == 'docker.tiny'][0]

    def _get(self, path):
        resp = self.compute.get(path, microversion=MICROVERSION,
                                connect_retries=2)
        resp.raise_for_status()
        return resp.json()

    def _write(self, api, cid):
        ex = api.exec_create(cid, WRITE)
        api.exec_start(ex)
        code = api.exec_inspect(ex)['ExitCode']
        if code != 0:
            raise RuntimeError('writing %d MB failed: %s' % (WRITE_MB, code))

    def _host_config(self, api):
        return api.create_host_config(
            network_mode='none', mem_limit=self.flavor['ram'] * 2**20,
            cpu_quota=self.flavor['vcpus'] * 100000, cpu_period=100000)

    def raw(self):
        cid = self.src.create_container(
            IMAGE, host_config=self._host_config(self.src))['Id']
        moved = image = None
        try:
            self.src.start(cid)
            self._write(self.src, cid)
            start = time.monotonic()
            self.src.stop(cid, timeout=10)
            image = self.src.commit(cid)['Id']
            loaded = None
            for message in self.dst.load_image(
                    self.src.get_image(image, chunk_size=1024 * 1024)):
                text = message.get('stream', '')
                if 'Loaded image ID:' in text:
                    loaded = text.split('Loaded image ID:', 1)[1].strip()
            if loaded is None:
                raise RuntimeError('engine 2 loaded nothing')
            moved = self.dst.create_container(
                loaded, host_config=self._host_config(self.dst))['Id']
            self.dst.start(moved)
            elapsed = time.monotonic() - start
        finally:
            self.src.remove_container(cid, force=True)
            if moved:
                self.dst.remove_container(moved, force=True)
            if image:
                self.src.remove_image(image, force=True)
                try:
                    self.dst.remove_image(image, force=True)
                except Exception:  # noqa: BLE001 - never loaded
                    pass
        return elapsed

    def _status(self, sid):
        return self._get('/servers/%s' % sid)['server']

    def _wait(self, sid, status, timeout=300):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            server = self._status(sid)
            if server['status'] == 'ERROR':
                raise RuntimeError('server %s: %s' % (sid, server.get(
                    'fault')))
            if server['status'] == status and \
                    server['OS-EXT-STS:task_state'] is None:
                return server
            time.sleep(POLL_S)
        raise RuntimeError('server %s not %s after %d s' % (sid, status,
                                                           timeout))

    def _moved_in(self, sid, tail, timeout=300):
        """Epoch of the destination's moved-in log line for ``sid``."""
        deadline = time.monotonic() + timeout
        next_get = time.monotonic() + API_POLL_S
        while time.monotonic() < deadline:
            for line in tail.lines():
                m = _MOVED_IN.match(line)
                if m and m.group(2) == sid:
                    return bench_aio_boot._local_epoch(m.group(1))
            if time.monotonic() >= next_get:  # a failed move logs nothing
                next_get = time.monotonic() + API_POLL_S
                server = self._status(sid)
                if server['status'] == 'ERROR':
                    raise RuntimeError('server %s: %s' % (
                        sid, server.get('fault')))
            time.sleep(LOG_POLL_S)
        raise RuntimeError('no moved-in line for %s in %s' % (sid,
                                                            self.dst_log))

    def _container(self, sid):
        (found,) = self.src.containers(filters={
            'label': 'org.openstack.nova.instance_uuid=%s' % sid})
        return found['Id']

    def migrate(self, n):
        body = {'server': {'name': 'bench-migrate-%d' % n,
                           'imageRef': self.image_id,
                           'flavorRef': self.flavor['id'],
                           'networks': 'none', 'host': self.src_host}}
        resp = self.compute.post('/servers', json=body,
                                 microversion=MICROVERSION)
        resp.raise_for_status()
        sid = resp.json()['server']['id']
        try:
            self._wait(sid, 'ACTIVE')
            self._write(self.src, self._container(sid))
            tail = bench_aio_boot.LogTail([self.dst_log])
            posted = time.time()
            resp = self.compute.post(
                '/servers/%s/action' % sid,
                json={'migrate': {'host': self.dst_host}},
                microversion=MICROVERSION)
            resp.raise_for_status()
            moved_in = self._moved_in(sid, tail)
            elapsed = moved_in - posted
            server = self._wait(sid, 'VERIFY_RESIZE')
            if server['OS-EXT-SRV-ATTR:host'] != self.dst_host:
                raise RuntimeError('server %s went to %s' % (
                    sid, server['OS-EXT-SRV-ATTR:host']))
            self.compute.post('/servers/%s/action' % sid,
                              json={'confirmResize': None},
                              microversion=MICROVERSION).raise_for_status()
            self._wait(sid, 'ACTIVE')
            return elapsed
        finally:
            self._delete(sid)

    def _delete(self, sid):
        self.compute.delete('/servers/%s' % sid, microversion=MICROVERSION)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            resp = self.compute.get('/servers/%s' % sid,
                                    microversion=MICROVERSION,
                                    connect_retries=2)
            if resp.status_code == 404:
                return
            time.sleep(POLL_S)
        raise RuntimeError('server %s not deleted after 120 s' % sid)


def main():
    with bench_aio_boot.running_cloud() as lay:
        bench = Bench(lay)
        raw, moves = [], []
        for n in range(1, ROUNDS + 1):
            raw.append(bench.raw())
            moves.append(bench.migrate(n))
    r, m = common.summary(raw), common.summary(moves)
    figures = {
        'rounds': ROUNDS, 'written_mb': WRITE_MB,
        'raw_commit_save_load_run_s': r,
        'cold_migration_s': m,
        'migration_ratio_p50': m['p50'] / r['p50'],
        'targets': {'migration_ratio_p50': TARGET}}
    print('all-in-one: docker commit + save|load + run between the engines '
          'p50 %.2f s | cold migration until it runs there p50 %.2f s (x%.2f; '
          'target <= %g)' % (r['p50'], m['p50'],
                             figures['migration_ratio_p50'], TARGET),
          flush=True)
    common.write(figures)
    return 0


if __name__ == '__main__':
    sys.exit(main())

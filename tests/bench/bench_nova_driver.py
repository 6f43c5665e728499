"""Bench: the Docker driver's spawn and Nova's boot-to-ACTIVE, against raw Docker.

Baseline, same run, same engine and image (dos/idle), same container flags
that matter (no network, limits set): ``docker create`` + ``start`` through
the Engine API.

Subjects, through a real Nova in-process (API, conductor, scheduler,
placement, one Docker compute on SQLite):
- spawn: the wall time of ``DockerDriver.spawn`` (Glance lookup, limits,
  create, metadata injection, start);
- boot: POST /servers until the API shows ACTIVE (polled every 20 ms).

Samples alternate (baseline, boot) so both see the same machine load; each
server is deleted after its sample. Targets (reported, not asserted):
spawn p50 <= 1.10 x raw p50; boot p50 <= 3 x raw p50.
"""

import logging
import os
import sys
import time
import unittest

os.environ.setdefault('OS_NOVA_DISABLE_EVENTLET_PATCHING', '1')

from tests.bench import common  # noqa: E402
from tests.functional.nova_docker_driver import base  # noqa: E402

ROUNDS = int(os.environ.get('BENCH_NOVA_ROUNDS', '20'))
IMAGE = 'dos/idle:latest'


class Bench(base.DockerCloudTestCase):

    figures = None

    def _raw(self):
        api = self.docker.api
        hc = api.create_host_config(network_mode='none', mem_limit=64 * 2**20,
                                    cpu_quota=100000, cpu_period=100000)
        start = time.monotonic()
        cid = api.create_container(IMAGE, host_config=hc)['Id']
        api.start(cid)
        elapsed = time.monotonic() - start
        api.remove_container(cid, force=True)
        return elapsed

    def _boot(self, flavor):
        body = self._build_server(image_uuid=base.IDLE_IMAGE,
                                  flavor_id=flavor, networks='none')
        start = time.monotonic()
        server = self.api.post_server({'server': body})
        while True:
            status = self.api.get_server(server['id'])['status']
            if status in ('ACTIVE', 'ERROR'):
                break
            time.sleep(0.02)
        elapsed = time.monotonic() - start
        if status != 'ACTIVE':
            raise RuntimeError('boot ended in %s: %s'
                               % (status, self._fault(server)))
        self._delete_server(server)
        return elapsed

    def test_bench(self):
        driver = self.driver
        spawns = []
        real_spawn = driver.spawn

        def timed_spawn(*args, **kwargs):
            start = time.monotonic()
            try:
                return real_spawn(*args, **kwargs)
            finally:
                spawns.append(time.monotonic() - start)
        driver.spawn = timed_spawn
        # The engine's own time inside each spawn (create + start calls),
        # to tell the driver's overhead from the engine's.
        engine = []
        backend = driver.backend
        for name in ('create', 'start'):
            real = getattr(backend, name)

            def timed(*args, _real=real, **kwargs):
                start = time.monotonic()
                try:
                    return _real(*args, **kwargs)
                finally:
                    engine.append(time.monotonic() - start)
            setattr(backend, name, timed)
        flavor = self._flavor()
        # One warm-up of each, not counted.
        self._raw()
        self._boot(flavor)
        spawns.clear()
        engine.clear()
        raw, boots = [], []
        for _ in range(ROUNDS):
            raw.append(self._raw())
            boots.append(self._boot(flavor))
        in_spawn = [engine[i] + engine[i + 1]
                    for i in range(0, len(engine) - 1, 2)]
        r, s, b, e = (common.summary(x)
                      for x in (raw, spawns, boots, in_spawn))
        Bench.figures = {
            'rounds': ROUNDS,
            'raw_create_start_s': r, 'driver_spawn_s': s,
            'api_boot_to_active_s': b,
            'engine_create_start_in_spawn_s': e,
            'driver_overhead_ratio_p50': s['p50'] / e['p50'],
            'spawn_ratio_p50': s['p50'] / r['p50'],
            'spawn_ratio_p95': s['p95'] / r['p95'],
            'boot_ratio_p50': b['p50'] / r['p50'],
            'boot_ratio_p95': b['p95'] / r['p95'],
            'targets': {'spawn_ratio_p50': 1.10, 'boot_ratio_p50': 3.0},
        }


def main():
    # Nova's thread pools log their shutdown after the run's log capture.
    logging.getLogger('nova.thread_pool_factory').setLevel(logging.WARNING)
    result = unittest.TestResult()
    Bench('test_bench').run(result)
    problems = result.errors + result.failures
    if problems or Bench.figures is None:
        for _test, trace in problems:
            print(trace[trace.rfind('Traceback'):], file=sys.stderr)
        return 1
    f = Bench.figures
    print('raw docker create+start  p50 %.3f s  p95 %.3f s'
          % (f['raw_create_start_s']['p50'], f['raw_create_start_s']['p95']))
    print('driver spawn             p50 %.3f s  p95 %.3f s  (x%.2f / x%.2f; '
          'target <= 1.10)' % (f['driver_spawn_s']['p50'],
                               f['driver_spawn_s']['p95'],
                               f['spawn_ratio_p50'], f['spawn_ratio_p95']))
    print('  of which engine create+start p50 %.3f s: driver overhead x%.2f'
          % (f['engine_create_start_in_spawn_s']['p50'],
             f['driver_overhead_ratio_p50']))
    print('API boot-to-ACTIVE       p50 %.3f s  p95 %.3f s  (x%.2f / x%.2f; '
          'target <= 3)' % (f['api_boot_to_active_s']['p50'],
                            f['api_boot_to_active_s']['p95'],
                            f['boot_ratio_p50'], f['boot_ratio_p95']))
    common.write(f)
    return 0


if __name__ == '__main__':
    sys.exit(main())

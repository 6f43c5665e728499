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

"""Bench: a Heat stack of 50 containers against 50 raw Engine API calls.

Baseline, same run, same engine and image (dos/idle): 50 ``create`` +
``start`` (then ``inspect`` to see it running) and later 50 ``stop`` +
``remove``, through a thread pool as wide as the plugin's own pool
(``[heat_docker] max_workers``).

Subject, on Heat's real engine in-process (SQLite): ``stack.create()`` and
``stack.delete()`` of a template with 50 OS::Docker::Container resources.
Heat runs resources of one dependency level as concurrent tasks; the
plugin's handle_create only submits the Engine API work to its pool and
check_create_complete polls, so the 50 creates really overlap. The plugin
also waits ``settle_seconds`` (1 s) after a start before it calls a
container without a health check (dos/idle has none) created, and Heat
polls once a second: both are in the figure.

Rounds alternate (baseline, stack) so both see the same load. Target
(reported, not asserted): stack create / delete <= 1.5 x raw.
"""

import concurrent.futures
import os
import statistics
import sys
import time
import unittest

# First, before anything of Heat's: see the rig.
from tests.bench import heat_bench  # noqa: I100

from oslo_config import cfg  # noqa: E402

from tests.bench import common  # noqa: E402

N = int(os.environ.get('BENCH_HEAT_CONTAINERS', '50'))
ROUNDS = int(os.environ.get('BENCH_HEAT_ROUNDS', '3'))
IMAGE = 'dos/idle:latest'
TARGET = 1.5


def template(n):
    body = ''.join('''
  c%d:
    type: OS::Docker::Container
    properties: {image: %s}
''' % (i, IMAGE) for i in range(n))
    return 'heat_template_version: 2021-04-16\nresources:' + body


class Bench(heat_bench.DockerBench):

    def setUp(self):
        super().setUp()
        self.width = cfg.CONF.heat_docker.max_workers

    def _raw_round(self):
        api = self.docker.api

        def create(i):
            cid = api.create_container(IMAGE, name='bench-raw-%d' % i)['Id']
            api.start(cid)
            assert api.inspect_container(cid)['State']['Running']
            return cid

        def delete(cid):
            api.stop(cid, timeout=self.stop_timeout)
            api.remove_container(cid, v=True, force=True)

        with concurrent.futures.ThreadPoolExecutor(self.width) as pool:
            start = time.monotonic()
            ids = list(pool.map(create, range(N)))
            created = time.monotonic() - start
            start = time.monotonic()
            list(pool.map(delete, ids))
            deleted = time.monotonic() - start
        return created, deleted

    @staticmethod
    def _timed(stack, action):
        """Seconds ``stack``'s create or delete takes; it must complete."""
        start = time.monotonic()
        getattr(stack, action.lower())()
        took = time.monotonic() - start
        if stack.state != (action, stack.COMPLETE):
            raise RuntimeError('stack %s ended %s: %s'
                               % (action.lower(), stack.state,
                                  stack.status_reason))
        return took

    def _stack_round(self):
        stack = self.parse(template(N))
        stack.store()
        created = self._timed(stack, stack.CREATE)
        running = self.docker.api.containers(
            filters={'label': 'org.openstack.heat.stack=%s' % stack.id})
        if len(running) != N:
            raise RuntimeError('%d containers running, expected %d'
                               % (len(running), N))
        deleted = self._timed(stack, stack.DELETE)
        return created, deleted

    def test_bench(self):
        raw_c, raw_d, heat_c, heat_d = [], [], [], []
        for _ in range(ROUNDS):
            c, d = self._raw_round()
            raw_c.append(c)
            raw_d.append(d)
            c, d = self._stack_round()
            heat_c.append(c)
            heat_d.append(d)
        med = statistics.median
        leftovers = {k: len(v) for k, v in
                     self.before.leftovers(self.docker).items() if v}
        Bench.figures = {
            'containers': N, 'rounds': ROUNDS, 'pool_width': self.width,
            'raw_create_s': raw_c, 'raw_delete_s': raw_d,
            'stack_create_s': heat_c, 'stack_delete_s': heat_d,
            'create_ratio': med(heat_c) / med(raw_c),
            'delete_ratio': med(heat_d) / med(raw_d),
            'total_ratio': (med(heat_c) + med(heat_d))
            / (med(raw_c) + med(raw_d)),
            'target_ratio': TARGET,
            'leftovers_after_rounds': leftovers,
        }


def main():
    result = unittest.TextTestRunner(verbosity=1).run(Bench('test_bench'))
    if not result.wasSuccessful() or Bench.figures is None:
        return 1
    f = Bench.figures
    print('stack of %d containers, pool width %d, %d rounds (medians):'
          % (N, f['pool_width'], ROUNDS))
    print('  create: stack %.2f s vs raw %.2f s -> %.2fx (target <= %.1fx)'
          % (statistics.median(f['stack_create_s']),
             statistics.median(f['raw_create_s']), f['create_ratio'],
             TARGET))
    print('  delete: stack %.2f s vs raw %.2f s -> %.2fx (target <= %.1fx)'
          % (statistics.median(f['stack_delete_s']),
             statistics.median(f['raw_delete_s']), f['delete_ratio'],
             TARGET))
    common.write(f)
    return 0


if __name__ == '__main__':
    sys.exit(main())

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

"""Bench (issue #19 point 6): a rolling release of 10 containers against
10 sequential replace-and-health-check cycles done directly on the engine.

Subject, on Heat's real engine service in-process (SQLite, the legacy
engine, as the heat_plugin functional tests run it):
examples/rolling_release.yaml with count 10, min_in_service 9 (batches of
one), updated from dos/release-1 to dos/release-2; the figure is the
update alone. Each batch ends when the new container runs and its image's
health check (every 0.5 s) has passed (a container with a health check
is not held ``settle_seconds`` more); Heat's polling of the plug-in's
checks is in the figure.

Baseline, same run, same engine and images: 10 times, create + start a
dos/release-2 container, poll inspect every 50 ms until healthy, then stop
and remove one dos/release-1 container.

Heat's own floor, same run: the same rolling update of the same group
with members that cost nothing (``OS::Heat::TestResource``, replaced
when the release changes): Heat's orchestration alone (the nested
stack's update per batch, the new member created and the old deleted,
the group seeing the batch complete), about 1.1 s a batch here.

Rounds alternate (baseline, stack, floor). Target (reported, not
asserted): update / baseline <= 1.3 x. The baseline has none of Heat's
work, so that target leaves Heat's floor (about 0.7 x the baseline) no
room. What the plug-in answers for is reported next to it: update /
(baseline + Heat's floor), target <= 1.3 x.
"""

import copy
import os
import statistics
import sys
import time
import unittest

# First, before anything of Heat's: see the rig.
from tests.bench import heat_bench  # noqa: I100

from heat.common import template_format  # noqa: E402
from heat.engine import stack as stack_mod  # noqa: E402
from oslo_config import cfg  # noqa: E402

from tests.bench import common  # noqa: E402
from tests.functional.heat_plugin import local_engine  # noqa: E402

N = int(os.environ.get('BENCH_ROLLING_MEMBERS', '10'))
ROUNDS = int(os.environ.get('BENCH_ROLLING_ROUNDS', '2'))
OLD, NEW = 'dos/release-1:latest', 'dos/release-2:latest'
TARGET = 1.3
EXAMPLE = os.path.join(os.path.dirname(__file__), '..', '..', 'examples',
                       'rolling_release.yaml')


class Bench(heat_bench.DockerBench):

    def setUp(self):
        super().setUp()
        self.engine = local_engine.LocalEngine()
        self.engine.install(self)
        with open(EXAMPLE) as f:
            self.template = template_format.parse(f.read())

    def _healthy(self, cid, limit=60.0):
        api = self.docker.api
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:    # bounded
            state = api.inspect_container(cid)['State']
            status = (state.get('Health') or {}).get('Status')
            if status == 'healthy':
                return
            if status == 'unhealthy' or not state['Running']:
                raise RuntimeError('baseline container %s: %s' % (cid,
                                                                  state))
            time.sleep(0.05)
        raise RuntimeError('baseline container %s never healthy' % cid)

    def _raw_round(self):
        api = self.docker.api
        old = []
        for i in range(N):
            cid = api.create_container(OLD, name='bench-roll-old-%d' % i)['Id']
            api.start(cid)
            old.append(cid)
        for cid in old:
            self._healthy(cid)
        new = []
        start = time.monotonic()
        for i, gone in enumerate(old):
            cid = api.create_container(NEW, name='bench-roll-new-%d' % i)['Id']
            api.start(cid)
            self._healthy(cid)
            new.append(cid)
            api.stop(gone, timeout=self.stop_timeout)
            api.remove_container(gone, v=True, force=True)
        took = time.monotonic() - start
        for cid in new:
            api.remove_container(cid, v=True, force=True)
        return took

    def _floor_round(self):
        """Seconds of the same rolling update with TestResource members."""
        template = copy.deepcopy(self.template)
        group = template['resources']['web']
        group['properties']['resource_def'] = {
            'type': 'OS::Heat::TestResource',
            'properties': {'value': {'get_param': 'image'},
                           'update_replace': True}}
        template['outputs'] = {}
        return self._update_round('bench-roll-floor', template,
                                  check=lambda: None)

    def _params(self, image):
        return {'image': image.split(':')[0], 'count': N,
                'min_in_service': N - 1}

    def _stack_round(self):
        return self._update_round('bench-roll', self.template,
                                  check=self._check_members)

    def _check_members(self):
        images = {c['Image'] for c in self.docker.api.containers(
            filters={'label': 'role=web'})}
        if images != {NEW.split(':')[0]}:
            raise RuntimeError('members run %s after the update' % images)

    def _update_round(self, name, template, check):
        """Create ``template`` with the old image, time its update to the
        new one, ``check()``, delete it."""
        service = self.engine.service
        ident = service.create_stack(self.ctx, name, template,
                                     self._params(OLD), {},
                                     {'disable_rollback': True})
        stack = stack_mod.Stack.load(self.ctx, stack_id=ident['stack_id'])
        if stack.state != ('CREATE', 'COMPLETE'):
            raise RuntimeError('create ended %s: %s' % (stack.state,
                                                         stack.status_reason))
        start = time.monotonic()
        service.update_stack(self.ctx, dict(stack.identifier()),
                             template, self._params(NEW), {},
                             {'disable_rollback': True})
        took = time.monotonic() - start
        stack = stack_mod.Stack.load(self.ctx, stack_id=stack.id)
        if stack.state != ('UPDATE', 'COMPLETE'):
            raise RuntimeError('update ended %s: %s' % (stack.state,
                                                         stack.status_reason))
        check()
        stack.delete()
        return took

    def test_bench(self):
        raw, heat, floor = [], [], []
        for _ in range(ROUNDS):
            raw.append(self._raw_round())
            heat.append(self._stack_round())
            floor.append(self._floor_round())
        med = statistics.median
        leftovers = {k: len(v) for k, v in
                     self.before.leftovers(self.docker).items() if v}
        Bench.figures = {
            'members': N, 'rounds': ROUNDS, 'max_batch_size': 1,
            'settle_seconds': cfg.CONF.heat_docker.settle_seconds,
            'raw_cycles_s': raw, 'rolling_update_s': heat,
            'ratio': med(heat) / med(raw), 'target_ratio': TARGET,
            'per_batch_heat_s': med(heat) / N, 'per_cycle_raw_s': med(raw) / N,
            'heat_floor_s': floor, 'per_batch_floor_s': med(floor) / N,
            'ratio_over_floor': med(heat) / (med(raw) + med(floor)),
            'leftovers_after_rounds': leftovers,
        }


def main():
    result = unittest.TextTestRunner(verbosity=1).run(Bench('test_bench'))
    if not result.wasSuccessful() or Bench.figures is None:
        return 1
    f = Bench.figures
    print('rolling release of %d members, batches of one, %d rounds '
          '(medians):' % (N, ROUNDS))
    print('  Heat update %.2f s vs %d direct replace+health cycles %.2f s '
          '-> %.2fx (target <= %.1fx)'
          % (statistics.median(f['rolling_update_s']), N,
             statistics.median(f['raw_cycles_s']), f['ratio'], TARGET))
    print('  Heat\'s floor (TestResource members) %.2f s; update / '
          '(direct + floor) %.2fx (target <= %.1fx)'
          % (statistics.median(f['heat_floor_s']), f['ratio_over_floor'],
             TARGET))
    common.write(f)
    return 0


if __name__ == '__main__':
    sys.exit(main())

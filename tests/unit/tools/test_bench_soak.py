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

"""The soak's plan: blocks between faults, the middle, and its workers."""

import threading

from tests.bench import bench_soak


def _covered(plan, kind):
    return [n for what, first, count in plan if what == kind
            for n in range(first, first + count)]


def test_blocks_cover_every_item_once_in_order():
    plan = bench_soak.blocks(1200, 25, 1000)
    assert _covered(plan, 'cycle') == list(range(1000))
    assert _covered(plan, 'stack') == list(range(200))
    # Faults fall after full blocks of 25: the block boundaries hold
    # every multiple of 25.
    ends = {first + count for what, first, count in plan if what == 'cycle'}
    assert set(range(25, 1001, 25)) <= ends


def test_a_block_boundary_at_the_middle():
    for total, every, cycles in ((15, 3, 12), (1200, 25, 1000),
                                 (13, 4, 10), (30, 25, 10)):
        plan = bench_soak.blocks(total, every, cycles)
        done, boundaries = 0, {0}
        for _what, _first, count in plan:
            done += count
            boundaries.add(done)
        assert total // 2 in boundaries, (total, every, cycles, plan)
        assert done == total


class _Soak:
    def __init__(self, fail_on=None):
        self.network = 'net'
        self.fail_on = fail_on
        self.threads = set()
        self.lock = threading.Lock()

    def cycle(self, n):
        with self.lock:
            self.threads.add(threading.get_ident())
        if n == self.fail_on:
            raise RuntimeError('cycle %d failed' % n)
        return 'kind-%d' % n


def test_workers_run_a_block_and_raise_the_first_failure(monkeypatch):
    shared = _Soak(fail_on=5)
    monkeypatch.setattr(bench_soak, 'Soak', lambda lay, network: shared)
    workers = bench_soak.Workers(lay=None, soak=shared, workers=3)
    try:
        assert workers.block('cycle', range(3)) == [
            'kind-0', 'kind-1', 'kind-2']
        try:
            workers.block('cycle', range(3, 9))
        except RuntimeError as exc:
            assert 'cycle 5 failed' in str(exc)
        else:
            raise AssertionError('a failed cycle did not fail the block')
    finally:
        workers.close()

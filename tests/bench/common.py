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

"""Helpers for benchmark modules: percentiles and writing the figures."""

import json
import os
import statistics
import time

# Pure-Python work that the speed of this machine's CPU, at the moment it
# is measured, shows in: the same VM ran it 2.5x slower on one day than on
# another. Absolute figures (ms) are read against it; ratios need not be.
REFERENCE_LOOP = 10 ** 7


def percentile(values, pct):
    """The pct-th percentile (0-100) by linear interpolation."""
    data = sorted(values)
    if not data:
        raise ValueError('no samples')
    if len(data) == 1:
        return data[0]
    k = (len(data) - 1) * pct / 100.0
    lo = int(k)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (k - lo)


def summary(values):
    return {'n': len(values), 'p50': percentile(values, 50),
            'p95': percentile(values, 95), 'mean': statistics.fmean(values)}


def machine():
    """{'cpus', 'python_loop_s'}: best of three ``sum(range(10**7))``."""
    best = None
    for _ in range(3):
        start = time.perf_counter()
        sum(range(REFERENCE_LOOP))
        elapsed = time.perf_counter() - start
        best = elapsed if best is None else min(best, elapsed)
    return {'cpus': os.cpu_count(), 'python_loop_s': round(best, 4)}


def write(figures):
    """Write a benchmark's figures where tools/run_bench.py collects them,
    with the machine's speed at the end of the run (``machine``)."""
    figures = dict(figures, machine=machine())
    out = os.environ.get('BENCH_OUT')
    if out:
        with open(out, 'w') as f:
            json.dump(figures, f, indent=2, sort_keys=True)
    print(json.dumps(figures, indent=2, sort_keys=True))

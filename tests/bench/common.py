"""Helpers for benchmark modules: percentiles and writing the figures."""

import json
import os
import statistics


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


def write(figures):
    """Write a benchmark's figures where tools/run_bench.py collects them."""
    out = os.environ.get('BENCH_OUT')
    if out:
        with open(out, 'w') as f:
            json.dump(figures, f, indent=2, sort_keys=True)
    print(json.dumps(figures, indent=2, sort_keys=True))

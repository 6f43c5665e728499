"""Run every benchmark module in tests/bench/, each in its own process.

A benchmark is a module ``tests/bench/bench_<name>.py`` runnable with
``python -m tests.bench.bench_<name>``. It measures its subject and its
baseline in the same run, prints a human-readable report, and writes its
figures as JSON to ``$BENCH_OUT`` (set here to
``.state/bench/<name>.json``). Targets are reported, never asserted as
timings; a benchmark exits non-zero only when it could not measure.
"""

import glob
import json
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    state = os.environ.get('DOS_STATE') or os.path.join(ROOT, '.state')
    out_dir = os.path.join(state, 'bench')
    os.makedirs(out_dir, exist_ok=True)
    modules = sorted(glob.glob(os.path.join(ROOT, 'tests', 'bench',
                                            'bench_*.py')))
    if argv:
        modules = [m for m in modules if any(a in m for a in argv)]
    failed = []
    summary = {}
    for path in modules:
        name = os.path.basename(path)[len('bench_'):-len('.py')]
        out = os.path.join(out_dir, '%s.json' % name)
        env = dict(os.environ, BENCH_OUT=out)
        print('=== bench %s' % name, flush=True)
        start = time.monotonic()
        rc = subprocess.call(
            [sys.executable, '-m', 'tests.bench.bench_%s' % name],
            cwd=ROOT, env=env)
        print('=== bench %s: exit %d in %.0f s'
              % (name, rc, time.monotonic() - start), flush=True)
        if rc:
            failed.append(name)
        elif os.path.exists(out):
            with open(out) as f:
                summary[name] = json.load(f)
    with open(os.path.join(out_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=2, sort_keys=True)
    if failed:
        print('benchmarks that could not measure: %s' % ', '.join(failed))
        return 1
    print('benchmarks: %d measured; figures in %s' % (len(summary), out_dir))
    return 0


if __name__ == '__main__':
    sys.exit(main())

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

"""Run every benchmark module in tests/bench/, each in its own process.

A benchmark is a module ``tests/bench/bench_<name>.py`` runnable with
``python -m tests.bench.bench_<name>``. It measures its subject and its
baseline in the same run, prints a human-readable report, and writes its
figures as JSON to ``$BENCH_OUT`` (set here to
``.state/bench/<name>.json``). Targets are reported, never asserted as
timings; a benchmark exits non-zero only when it could not measure.

    python tools/run_bench.py [<name> ...]     # all, or names containing these

``doc/performance.json`` (in git) holds the latest figures of every
benchmark (``{name: figures}``; a run of some benchmarks keeps the others'
figures), each with ``measured_at`` (UTC) and ``duration_s``, and
``_host``, the machine of the latest run. At the end tools/perf_page.py
renders it into doc/performance.md and the top README's table.
"""

import glob
import json
import os
import platform
import subprocess
import sys
import time

import perf_page

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _first(path, prefix, split=':'):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(prefix):
                    return line.split(split, 1)[1].strip().strip('"')
    except OSError:
        pass
    return None


def _docker_engine():
    try:
        import docker
        client = docker.from_env(timeout=5)
        try:
            return client.version().get('Version')
        finally:
            client.close()
    except Exception:  # the figures matter more than this fact
        return None


def host_facts():
    """What the figures were measured on."""
    mem_kib = _first('/proc/meminfo', 'MemTotal')
    return {
        'cpus': os.cpu_count(),
        'cpu_model': _first('/proc/cpuinfo', 'model name'),
        'memory_gib': round(int(mem_kib.split()[0]) / 2 ** 20, 1)
        if mem_kib else None,
        'os': _first('/etc/os-release', 'PRETTY_NAME', '='),
        'kernel': platform.release(),
        'python': platform.python_version(),
        'docker_engine': _docker_engine(),
        'load_average_at_start': [round(x, 2) for x in os.getloadavg()],
    }


def merge(old, measured, host):
    """The new summary: the old one with this run's benchmarks replaced.

    measured: {name: figures} of this run (figures already carry
    measured_at and duration_s)."""
    summary = dict(old or {})
    summary.update(measured)
    summary[perf_page.HOST_KEY] = host
    return summary


def _load(path):
    try:
        with open(path) as f:
            old = json.load(f)
        return old if isinstance(old, dict) else {}
    except (OSError, ValueError):
        return {}


def selected(paths, names):
    """The benchmark modules whose file name contains one of ``names``
    (all without names): never matched on the folder they are in, which
    may itself contain a benchmark's name (a clone in /tmp/soak)."""
    if not names:
        return list(paths)
    return [p for p in paths
            if any(n in os.path.basename(p) for n in names)]


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    state = os.environ.get('DOS_STATE') or os.path.join(ROOT, '.state')
    out_dir = os.path.join(state, 'bench')
    os.makedirs(out_dir, exist_ok=True)
    modules = sorted(glob.glob(os.path.join(ROOT, 'tests', 'bench',
                                            'bench_*.py')))
    modules = selected(modules, argv)
    host = host_facts()
    failed = []
    measured = {}
    for path in modules:
        name = os.path.basename(path)[len('bench_'):-len('.py')]
        out = os.path.join(out_dir, '%s.json' % name)
        if os.path.exists(out):
            os.unlink(out)  # never take an earlier run's file for this one
        env = dict(os.environ, BENCH_OUT=out)
        print('=== bench %s' % name, flush=True)
        # The machine's own load when this benchmark began: the page
        # shows it per benchmark, since a partial run keeps older ones.
        load = [round(x, 2) for x in os.getloadavg()]
        start = time.monotonic()
        rc = subprocess.call(
            [sys.executable, '-m', 'tests.bench.bench_%s' % name],
            cwd=ROOT, env=env)
        took = time.monotonic() - start
        print('=== bench %s: exit %d in %.0f s' % (name, rc, took),
              flush=True)
        if rc or not os.path.exists(out):
            failed.append(name)
            continue
        with open(out) as f:
            figures = json.load(f)
        figures['measured_at'] = time.strftime('%Y-%m-%dT%H:%M:%SZ',
                                               time.gmtime())
        figures['duration_s'] = round(took)
        figures['load_average_at_start'] = load
        # A benchmark may file its figures under another name (the full
        # soak keeps its own row next to the short one of make bench).
        measured[figures.pop('summary_key', None) or name] = figures
    summary_path = perf_page.SUMMARY
    summary = merge(_load(summary_path), measured, host)
    with open(summary_path, 'w') as f:
        json.dump(summary, f, indent=2, sort_keys=True)
    rc = 0
    if measured:
        rc = perf_page.main(['--summary', summary_path])
    if failed:
        print('benchmarks that could not measure: %s' % ', '.join(failed))
        return 1
    print('benchmarks: %d measured; figures in %s' % (len(measured), out_dir))
    return rc


if __name__ == '__main__':
    sys.exit(main())

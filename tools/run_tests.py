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

"""Run the whole test suite as separate pytest processes, one per side.

Nova, Heat and Magnum each register options on oslo.config's global CONF and
pick oslo.service's backend once per process, so they cannot share a Python
process. Each group below runs in its own pytest process; the totals are
summed at the end into one closing line.

The devstack group (the all-in-one's end-to-end tests) spends much of its
time waiting on a cloud of separate processes, so by default it runs beside
the other groups rather than after them, on Docker engines of its own
(``$DOS_STATE/e2e``, bridges dos2 and dos3) and on ports from 25200: its
cloud's containers and the in-process rigs' never meet, and a cloud of
``make run`` may stay up. Its output is printed when it ends; ``--serial``
runs every group one after the other on the project's engine.

Every test directory must belong to exactly one group: a directory that no
group names fails the run, so no test can be silently left out.

``--quick`` runs the quick tier only (``make test-quick``): the tests under
tests/unit that tests/conftest.py marks ``quick``, with DOCKER_HOST pointing
at a socket that does not exist, so a test that reached for an engine fails
rather than passes by luck.
"""

import argparse
import os
import subprocess
import sys
import time
import xml.etree.ElementTree as ET

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

UNIT_DIR = 'tests/unit'
# Where the quick tier's DOCKER_HOST points: never a socket.
NO_ENGINE = 'unix:///nonexistent/the-quick-tier-uses-no-engine.sock'

# (group, paths). Paths that do not exist yet are skipped.
GROUPS = [
    ('plain', ['tests/unit/scheduler_filters', 'tests/functional/rig/docker',
               'tests/unit/tools', 'tests/unit/docker_layer',
               'tests/functional/docker_layer']),
    ('nova', ['tests/unit/nova_docker_driver',
              'tests/functional/rig/nova',
              'tests/functional/nova_docker_driver',
              'tests/functional/scheduler_filters']),
    ('heat', ['tests/unit/heat_plugin', 'tests/functional/rig/heat',
              'tests/functional/heat_plugin']),
    ('magnum', ['tests/unit/magnum_bay', 'tests/functional/rig/magnum',
                'tests/functional/magnum_bay']),
    ('devstack', ['tests/unit/devstack', 'tests/functional/devstack']),
]


#: Groups that run beside the others (unless --serial), and the engines
#: they get: the state folder under $DOS_STATE and the bridges.
BESIDE = {
    # Its own ports too: a cloud of `make run` may be up on 25000.
    'devstack': {'state': 'e2e', 'AIO_PORT_BASE': '25200',
                 'DOCKER_BRIDGE_NAME': 'dos2',
                 'DOCKER_BRIDGE_CIDR': '172.31.241.1/24',
                 'AIO_ENGINE2_BRIDGE': 'dos3',
                 'AIO_ENGINE2_CIDR': '172.31.242.1/24'},
}


def _beside_env(group, state):
    spec = dict(BESIDE[group])
    folder = os.path.join(state, spec.pop('state'))
    os.makedirs(folder, exist_ok=True)
    return dict(os.environ, DOS_STATE=folder,
                DOCKER_HOST='unix://%s' % os.path.join(folder, 'docker.sock'),
                **spec)


def _engine(action, env):
    return subprocess.call([os.path.join(ROOT, 'tools', 'docker-engine.sh'),
                            action], cwd=ROOT, env=env)


def _test_dirs():
    """Every directory under tests/ that holds a test module."""
    found = set()
    for base, _dirs, files in os.walk(os.path.join(ROOT, 'tests')):
        if any(f.startswith('test_') and f.endswith('.py') for f in files):
            found.add(os.path.relpath(base, ROOT))
    return found


def _check_coverage():
    covered = [p for _g, paths in GROUPS for p in paths]
    orphans = sorted(d for d in _test_dirs()
                     if not any(d == c or d.startswith(c + os.sep)
                                for c in covered))
    if orphans:
        sys.exit('test directories in no group of tools/run_tests.py: %s'
                 % ', '.join(orphans))


def _selected(paths, quick):
    """The group's paths that exist; only the unit ones for ``quick``."""
    return [p for p in paths if os.path.isdir(os.path.join(ROOT, p)) and
            (not quick or p == UNIT_DIR or p.startswith(UNIT_DIR + '/'))]


def _counts(xml_path):
    counts = dict(tests=0, failures=0, errors=0, skipped=0)
    if not os.path.exists(xml_path):
        return counts
    root = ET.parse(xml_path).getroot()
    suites = [root] if root.tag == 'testsuite' else root.findall('testsuite')
    for suite in suites:
        for key in counts:
            counts[key] += int(suite.get(key, 0))
    return counts


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('-m', dest='marker', help='pytest -m expression')
    parser.add_argument('-g', '--group', action='append',
                        help='run only these groups')
    parser.add_argument('--quick', action='store_true',
                        help='only tests needing neither root, an engine '
                             'nor the all-in-one (marked quick)')
    parser.add_argument('--serial', action='store_true',
                        help='run the groups one after the other, all on '
                             "the project's engine")
    parser.add_argument('pytest_args', nargs='*')
    args = parser.parse_args(argv)
    _check_coverage()

    state = os.environ.get('DOS_STATE') or os.path.join(ROOT, '.state')
    results_dir = os.path.join(state, 'test-results')
    os.makedirs(results_dir, exist_ok=True)
    total = dict(tests=0, failures=0, errors=0, skipped=0)
    failed_groups = []
    began = time.monotonic()
    runs = []
    for group, paths in GROUPS:
        if args.group and group not in args.group:
            continue
        present = _selected(paths, args.quick)
        if not present:
            continue
        xml_path = os.path.join(results_dir, '%s%s.xml' % (
            group, '-quick' if args.quick else ''))
        if os.path.exists(xml_path):
            os.unlink(xml_path)
        cmd = [sys.executable, '-m', 'pytest', '-p', 'no:cacheprovider',
               '--junitxml', xml_path, '-o', 'junit_family=xunit2']
        marker = args.marker
        if args.quick:
            marker = 'quick and (%s)' % marker if marker else 'quick'
        if marker:
            cmd += ['-m', marker]
        cmd += args.pytest_args + present
        runs.append((group, present, cmd, xml_path))
    beside = [r for r in runs if r[0] in BESIDE]
    if args.quick or args.serial or len(runs) < 2:
        beside = []
    background = []
    for group, present, cmd, xml_path in beside:
        env = _beside_env(group, state)
        print('=== group %s (beside the others, engines under %s): %s' % (
            group, env['DOS_STATE'], ' '.join(present)), flush=True)
        _engine('start', env)
        log = open(os.path.join(results_dir, group + '.log'), 'w')
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)
        background.append((group, proc, log, xml_path, env,
                           time.monotonic()))

    def finish(group, rc, xml_path, start):
        counts = _counts(xml_path)
        print('=== group %s: exit %d in %.0f s' %
              (group, rc, time.monotonic() - start), flush=True)
        # pytest exits 5 when a marker filter leaves nothing to run.
        if rc not in (0, 5) or counts['failures'] or counts['errors']:
            failed_groups.append(group)
        for key in total:
            total[key] += counts[key]

    try:
        for group, present, cmd, xml_path in runs:
            if any(group == b[0] for b in background):
                continue
            print('=== group %s: %s' % (group, ' '.join(present)),
                  flush=True)
            start = time.monotonic()
            env = (dict(os.environ, DOCKER_HOST=NO_ENGINE) if args.quick
                   else None)
            rc = subprocess.call(cmd, cwd=ROOT, env=env)
            finish(group, rc, xml_path, start)
    except BaseException:
        for _group, proc, *_rest in background:
            proc.terminate()
        raise
    for group, proc, log, xml_path, env, start in background:
        rc = proc.wait()
        log.close()
        print('=== group %s (ran beside the others), its output:' % group,
              flush=True)
        with open(log.name) as f:
            sys.stdout.write(f.read())
        finish(group, rc, xml_path, start)
        _engine('stop', env)

    passed = (total['tests'] - total['failures'] - total['errors']
              - total['skipped'])
    failed = total['failures'] + total['errors']
    if failed_groups:
        print('failed groups: %s' % ', '.join(failed_groups))
    print('total: %d passed, %d failed, %d skipped in %.0f s'
          % (passed, failed, total['skipped'], time.monotonic() - began))
    if failed_groups:
        return 1
    if passed == 0:
        print('no test ran')
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())

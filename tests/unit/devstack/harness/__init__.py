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

"""Run the DevStack plugin's phases in a harness and read what they wrote.

``stack.sh`` sources the plugin with DevStack's helpers from
``functions.sh`` (real ini files in a tmp dir; host changes recorded in
``calls.log``). This module wraps it for the tests.
"""

import os
import subprocess
import sys

from oslo_config import iniparser

HARNESS_DIR = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    HARNESS_DIR))))
STUB_BIN = os.path.join(HARNESS_DIR, 'bin')
DEFAULT_SERVICES = ('key,n-api,n-cond,n-sch,n-cpu,placement-api,g-api,'
                    'h-api,h-eng,tempest')


class Ini(iniparser.BaseParser):
    """oslo.config's own ini parser: {section: {option: [values]}}."""

    def __init__(self, path):
        super().__init__()
        self.sections = {}
        self._section = None
        with open(path) as f:
            self.parse(f)

    def new_section(self, section):
        self._section = self.sections.setdefault(section, {})

    def assignment(self, key, value):
        self._section.setdefault(key, []).extend(value)

    def parse_exc(self, msg, lineno, line=None):
        return iniparser.ParseError(msg, lineno, line)

    def get(self, section, option):
        values = self.sections.get(section, {}).get(option)
        return values[-1] if values else None

    def all(self, section, option):
        return list(self.sections.get(section, {}).get(option, []))


class Stack:
    """One harness work tree: run steps, then read the files and calls."""

    def __init__(self, work, services=DEFAULT_SERVICES, real_docker=False,
                 real_openstack=False, env=None):
        self.work = str(work)
        self.bin = os.path.join(self.work, 'bin')
        os.makedirs(self.bin, exist_ok=True)
        # get_python_exec_prefix: DevStack's Python and this project's
        # console scripts (recording stand-ins for those that would change
        # the shared venv).
        links = {'python3': sys.executable}
        for name in ('nova-docker-shim', 'docker-bay', 'docker-share-reclaim'):
            links[name] = os.path.join(STUB_BIN, name)
        for name, target in links.items():
            link = os.path.join(self.bin, name)
            if not os.path.lexists(link):
                os.symlink(target, link)
        path = os.environ['PATH']
        if not real_docker:
            path = STUB_BIN + os.pathsep + path
        elif not real_openstack:
            # the real docker CLI; only openstack (Glance) is recorded.
            glance_bin = os.path.join(self.work, 'glance-bin')
            os.makedirs(glance_bin, exist_ok=True)
            link = os.path.join(glance_bin, 'openstack')
            if not os.path.lexists(link):
                os.symlink(os.path.join(STUB_BIN, 'openstack'), link)
            path = glance_bin + os.pathsep + path
        self.env = dict(os.environ, PATH=path, HARNESS_BIN=self.bin,
                        ENABLED_SERVICES=services)
        self.env.setdefault('DOCKER_ENDPOINT', 'unix:///nonexistent.sock')
        self.env['DOCKER_ENGINE_START_TIMEOUT'] = '3'
        self.env.update(env or {})

    def run(self, *steps, check=True):
        proc = subprocess.run(
            ['bash', os.path.join(HARNESS_DIR, 'stack.sh'), self.work]
            + list(steps),
            env=self.env, capture_output=True, text=True, timeout=300)
        self.output = proc.stdout + proc.stderr
        if check and proc.returncode != 0:
            raise AssertionError('harness failed (%d):\n%s'
                                 % (proc.returncode, self.output[-4000:]))
        return proc

    def path(self, *parts):
        return os.path.join(self.work, *parts)

    def ini(self, *parts):
        return Ini(self.path(*parts))

    @property
    def nova_conf(self):
        return self.ini('etc', 'nova', 'nova.conf')

    @property
    def nova_cpu_conf(self):
        return self.ini('etc', 'nova', 'nova-cpu.conf')

    @property
    def heat_conf(self):
        return self.ini('etc', 'heat', 'heat.conf')

    @property
    def calls(self):
        with open(self.path('calls.log')) as f:
            return [line.rstrip('\n') for line in f]

    def calls_of(self, name):
        return [c for c in self.calls if c.split(' ', 1)[0] == name]

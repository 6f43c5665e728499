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

"""The applications showcase on a running all-in-one: ``make apps``.

As the demo tenant, with the openstack CLI, each command printed with
what came back:

1. Autoscaling: the stack of examples/autoscaling_group.yaml (one to two
   Docker servers on ``demo-net``), its two Aodh Prometheus alarms, a CPU
   load in the member's container (a bounded busy loop), the group growing
   to two members through Ceilometer, Prometheus, Aodh and Heat, then
   shrinking back to one once the load is stopped.
2. A rolling release with rollback: the stack of
   examples/rolling_release.yaml (three containers, two in service at
   least), released to a new image member by member, then a release whose
   containers fail their health check, with rollback enabled: the update
   fails and Heat brings every member back to the previous image.

Both stacks are deleted at the end (``--keep`` leaves them). A failed step
raises ``showcase.ShowcaseFailed`` naming the command.
"""

import os
import time

from tools.aio import layout as layout_mod
from tools.aio import showcase

EXAMPLES = os.path.join(layout_mod.ROOT, 'examples')
SCALE_STACK = 'apps-scale'
RELEASE_STACK = 'apps-release'
#: Seconds of CPU load in the member at most: enough for the group to
#: grow on a busy machine; stopped (STOP_LOAD) once it has.
LOAD_SECONDS = 180
#: Stops the load_script of the same container.
STOP_LOAD = 'kill $(cat /tmp/load.pid)'


def load_script(seconds=LOAD_SECONDS):
    """A shell busy loop (one CPU at most) that ends after ``seconds``,
    its pid in /tmp/load.pid for STOP_LOAD."""
    return ('echo $$ > /tmp/load.pid; end=$(($(date +%%s) + %d)); '
            'while [ $(date +%%s) -lt $end ]; do :; done' % seconds)


class Apps:
    def __init__(self, lay, show=None):
        self.show = show or showcase.Showcase(lay)
        self.lay = lay

    def say(self, text=''):
        self.show.say(text)

    def _until(self, check, timeout, what):
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            found = check()
            if found:
                return found, time.monotonic() - start
            time.sleep(2)
        raise showcase.ShowcaseFailed('%s: not within %d s' % (what, timeout))

    def members(self, stack_id):
        """ACTIVE servers of the group: {id: host}."""
        servers = self.show.cli('server', 'list', '--long', fmt_json=True,
                                show=False)
        return {s['ID']: s.get('Host') for s in servers
                if s['Status'] == 'ACTIVE' and (s.get('Properties') or {})
                .get('metering.server_group') == stack_id}

    def autoscale(self):
        cli = self.show.cli
        self.say('== Autoscaling on CPU (Ceilometer, Prometheus, Aodh, '
                 'Heat)')
        self.show.tenant_network()
        cli('stack', 'create', '-t', os.path.join(
            EXAMPLES, 'autoscaling_group.yaml'), '--parameter',
            'network=%s' % showcase.NETWORK, '--parameter', 'max_size=2',
            '--parameter', 'cooldown=10', '--parameter', 'cpu_high=0.3',
            '--wait', SCALE_STACK, '-c', 'stack_name', '-c', 'stack_status')
        stack_id = cli('stack', 'show', SCALE_STACK, '--no-resolve-outputs',
                       fmt_json=True, show=False)['id']
        cli('alarm', 'list', '-c', 'name', '-c', 'type', '-c', 'state')
        members, _ = self._until(lambda: self.members(stack_id), 120,
                                 'the first member ACTIVE')
        (server_id, _host), = members.items()
        host = cli('server', 'show', server_id, cloud='aio-admin',
                   fmt_json=True, show=False)['OS-EXT-SRV-ATTR:host']
        container = self.show.container(host, server_id)
        load = load_script()
        self.say('$ docker -H %s exec -d %s sh -c \'%s\'   # CPU load in '
                 'the member' % (self.show.endpoint(host), container, load))
        self.show.docker(host, 'exec', '-d', container, 'sh', '-c', load)
        self.say('... waiting for Aodh to see it and Heat to add a member')
        grown, took = self._until(
            lambda: (lambda m: m if len(m) == 2 else None)(
                self.members(stack_id)), LOAD_SECONDS + 60,
            'a second member')
        self.say('two members %.0f s after the load began' % took)
        cli('metric', 'query', 'avg(rate(ceilometer_cpu{server_group="%s"}'
            '[20s])) / 1e9' % stack_id, '-c', 'value')
        cli('alarm', 'list', '-c', 'name', '-c', 'state')
        self.say('$ docker -H %s exec %s sh -c \'%s\'   # the load stops'
                 % (self.show.endpoint(host), container, STOP_LOAD))
        self.show.docker(host, 'exec', container, 'sh', '-c', STOP_LOAD)
        _, took = self._until(lambda: len(self.members(stack_id)) == 1,
                              240, 'the group back to one')
        self.say('one member again %.0f s later' % took)

    def _settled(self, name, busy):
        stack = self.show.cli('stack', 'show', name, '--no-resolve-outputs',
                              fmt_json=True, show=False)
        return stack if stack['stack_status'] not in busy else None

    def release(self):
        cli = self.show.cli
        self.say('\n== A rolling release with rollback (OS::Docker::'
                 'Container in an OS::Heat::ResourceGroup)')
        template = os.path.join(EXAMPLES, 'rolling_release.yaml')
        cli('stack', 'create', '-t', template, '--parameter', 'count=3',
            '--parameter', 'min_in_service=2', '--wait', RELEASE_STACK,
            '-c', 'stack_name', '-c', 'stack_status')
        cli('stack', 'output', 'show', RELEASE_STACK, 'health')
        cli('stack', 'update', '--existing', '--parameter',
            'image=dos/release-2', '--wait', RELEASE_STACK, '-c',
            'stack_status')
        cli('stack', 'output', 'show', RELEASE_STACK, 'health')
        self.say('... a release whose containers fail their health check, '
                 'rollback enabled')
        cli('stack', 'update', '--existing', '--rollback', 'enabled',
            '--parameter', 'image=dos/release-bad', RELEASE_STACK, '-c',
            'stack_status')
        stack, took = self._until(
            lambda: self._settled(RELEASE_STACK, ('UPDATE_IN_PROGRESS',
                                                  'ROLLBACK_IN_PROGRESS')),
            600, 'the failed release to settle')
        cli('stack', 'show', RELEASE_STACK, '--no-resolve-outputs', '-c',
            'stack_status', '-c', 'stack_status_reason')
        if stack['stack_status'] != 'ROLLBACK_COMPLETE':
            raise showcase.ShowcaseFailed(
                'the bad release ended %s, not ROLLBACK_COMPLETE'
                % stack['stack_status'])
        self.say('rolled back in %.0f s' % took)
        cli('stack', 'output', 'show', RELEASE_STACK, 'health')

    def run(self, keep=False):
        made = []
        failed = True
        try:
            made.append(SCALE_STACK)
            self.autoscale()
            made.append(RELEASE_STACK)
            self.release()
            failed = False
        finally:
            if not keep:
                problems = self.show.clean_up([], made, [], [], [])
                # A failed step's own error goes on.
                if problems and not failed:
                    raise showcase.ShowcaseFailed(
                        'clean-up failed: %s' % '; '.join(problems))

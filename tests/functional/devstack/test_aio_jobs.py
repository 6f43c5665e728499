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

"""Issue #19 point 5 on the all-in-one, through heatclient as a tenant:
batch jobs (run_to_completion) that succeed, fail with their exit code in
the reason, and time out; the failed ones leave no container."""

import pytest

from tests.functional.devstack.conftest import wait as _wait

pytestmark = [pytest.mark.slow, pytest.mark.docker]

TEMPLATE = '''
heat_template_version: 2021-04-16
parameters:
  script: {type: string}
  timeout: {type: number, default: 120}
resources:
  job:
    type: OS::Docker::Container
    properties:
      image: dos/busybox
      cmd: [sh, -c, {get_param: script}]
      run_to_completion: true
      completion_timeout: {get_param: timeout}
outputs:
  exit_code: {value: {get_attr: [job, exit_code]}}
  logs: {value: {get_attr: [job, logs]}}
'''

JOBS = {
    'e2e-job-ok': {'script': 'echo counting; sleep 1; echo counted'},
    'e2e-job-fail': {'script': 'echo half done; echo disk full >&2; exit 7'},
    'e2e-job-slow': {'script': 'echo waiting; sleep 120', 'timeout': 3},
}


def _containers(aio, name):
    return [c for client in aio.engines.values()
            for c in client.containers.list(all=True)
            if c.name.startswith(name + '-')]


def test_batch_jobs_succeed_fail_and_time_out(aio):
    heat = aio.heat()
    ids = {name: heat.stacks.create(stack_name=name, template=TEMPLATE,
                                    parameters=params)['stack']['id']
           for name, params in JOBS.items()}
    try:
        done = {}
        for name, stack_id in ids.items():
            done[name] = _wait(
                lambda: (lambda s: s if s.stack_status != 'CREATE_IN_PROGRESS'
                         else None)(heat.stacks.get(stack_id)),
                what='job %s' % name)
        ok = done['e2e-job-ok']
        assert ok.stack_status == 'CREATE_COMPLETE', ok.stack_status_reason
        outputs = {o['output_key']: o['output_value'] for o in ok.outputs}
        assert outputs['exit_code'] == 0
        assert outputs['logs'] == 'counting\ncounted\n'

        fail = done['e2e-job-fail']
        assert fail.stack_status == 'CREATE_FAILED'
        assert 'exited with code 7' in fail.stack_status_reason
        assert 'disk full' in fail.stack_status_reason
        assert 'half done' in fail.stack_status_reason
        assert _containers(aio, 'e2e-job-fail') == []

        slow = done['e2e-job-slow']
        assert slow.stack_status == 'CREATE_FAILED'
        assert 'did not finish within completion_timeout (3 s)' in \
            slow.stack_status_reason
        assert 'waiting' in slow.stack_status_reason
        assert _containers(aio, 'e2e-job-slow') == []
    finally:
        for stack_id in ids.values():
            heat.stacks.delete(stack_id)
        for stack_id in ids.values():
            _wait(lambda: heat.stacks.get(stack_id).stack_status in
                  ('DELETE_COMPLETE', 'DELETE_FAILED'), what='stack delete')
    for name, stack_id in ids.items():
        assert heat.stacks.get(stack_id).stack_status == 'DELETE_COMPLETE'
        assert _containers(aio, name) == []

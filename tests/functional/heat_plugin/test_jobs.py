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

"""Issue #19 point 4: run-to-completion containers (batch jobs) on Heat's
engine and the real Docker engine: success, a failing exit code, a
timeout, bad input; a failed job leaves nothing behind."""

from tests.functional.heat_plugin import base  # noqa: I100 - rig first

import datetime  # noqa: E402

from heat.common import exception as heat_exception  # noqa: E402


def when(stamp):
    """An Engine API time (RFC 3339, up to nanoseconds) as a datetime."""
    whole, _dot, frac = stamp.rstrip('Z').partition('.')
    return datetime.datetime.fromisoformat(
        '%s.%s' % (whole, (frac + '000000')[:6]))


def job(script, **more):
    return base.one_container('job', image='dos/busybox',
                              cmd=['sh', '-c', script],
                              run_to_completion=True, **more)


class TestJobs(base.DockerStackTestCase):

    def failed_reason(self, stack):
        failed = [e for e in base.events(stack)
                  if e[:3] == ('job', 'CREATE', 'FAILED')]
        self.assertEqual(1, len(failed), base.events(stack))
        return failed[0][3]

    def test_batch_job_example_runs_the_job_before_the_service(self):
        stack = self.create_stack(base.example('batch_job.yaml'))
        self.assert_state(stack, 'CREATE')
        migrate = stack['migrate']
        self.assertEqual(0, migrate.FnGetAtt('exit_code'))
        self.assertEqual('migrating\nmigrated\n', migrate.FnGetAtt('logs'))
        self.assertEqual('exited', migrate.FnGetAtt('status'))
        # The service started only after the job had finished.
        api = self.docker.api
        job_end = when(api.inspect_container(migrate.resource_id)['State'][
            'FinishedAt'])
        service_start = when(api.inspect_container(
            stack['service'].resource_id)['State']['StartedAt'])
        self.assertLess(job_end, service_start)
        self.assertIsNone(stack['service'].FnGetAtt('exit_code'))
        # A finished job passes check; suspend/resume do not run it again.
        stack.check()
        self.assert_state(stack, 'CHECK')
        stack.suspend()
        self.assert_state(stack, 'SUSPEND')
        stack.resume()
        self.assert_state(stack, 'RESUME')
        self.assertEqual('migrating\nmigrated\n', migrate.FnGetAtt('logs'))
        self.delete_leaving_nothing(stack)

    def test_failing_job_fails_with_code_and_log_and_leaves_nothing(self):
        stack = self.create_stack(job(
            'echo step one; echo step two failed >&2; exit 7'))
        self.assert_state(stack, 'CREATE', 'FAILED')
        reason = self.failed_reason(stack)
        self.assertIn('exited with code 7', reason)
        # stdout and stderr, in whichever order the engine merged them.
        self.assertIn('step one', reason)
        self.assertIn('step two failed', reason)
        self.assertIn('dos/busybox', reason)
        # Even without rollback, the failed job's container is gone.
        self.assertEqual([], self.containers_of(stack))
        self.delete_leaving_nothing(stack)

    def test_job_still_running_after_its_timeout_fails_and_is_removed(self):
        stack = self.create_rollback(job(
            'echo started; sleep 60', completion_timeout=1))
        self.assert_state(stack, 'ROLLBACK')
        reason = self.failed_reason(stack)
        self.assertIn('did not finish within completion_timeout (1 s)',
                      reason)
        self.assertIn('started', reason)
        self.assert_nothing_left()

    def test_restarting_job_is_refused_naming_the_field(self):
        for policy in ('always', 'on-failure', 'unless-stopped'):
            stack = self.parse(job('true', restart_policy={'Name': policy}))
            err = self.assertRaises(heat_exception.StackValidationFailed,
                                    stack.validate)
            self.assertIn('Property restart_policy:', str(err))
            self.assertIn('run_to_completion', str(err))
        err = self.assertRaises(
            heat_exception.StackValidationFailed,
            self.parse(job('true', completion_timeout=0)).validate)
        self.assertIn('completion_timeout', str(err))
        self.assert_nothing_left()

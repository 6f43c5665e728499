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

"""The ``openstack`` CLI for the end-to-end tests, without its start-up.

Each ``openstack`` command starts Python and imports the client and its
plugins: over a second of CPU on this machine, for hundreds of commands
per run, on two cores the cloud under test needs. A ``Forker`` starts one
Python that has imported the CLI once and, for each command, forks a child
that runs the CLI's own entry point (``openstackclient.shell.main``) with
the command's environment, its output going to files, and exits. The
child is a fresh copy each time: no state of one command reaches the next
(the CLI is not written to run twice in one process, and does not).
"""

import json
import os
import subprocess
import tempfile
import threading

# Run in the forking process: read one JSON request per line, answer with
# the child's exit status.
_SERVER = r'''
import json, os, signal, sys, traceback
# The program name the CLI prints (cliff reads it when imported).
sys.argv = ['openstack']
from openstackclient import shell
# What most commands load anyway: imported once, here.
import openstack.connection, openstackclient.compute.v2.server
import openstackclient.network.v2.port, openstackclient.image.v2.image
replies = os.fdopen(os.dup(1), 'w')
os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
for line in sys.stdin:
    req = json.loads(line)
    pid = os.fork()
    if pid == 0:
        rc = 1
        try:
            os.environ.clear()
            os.environ.update(req['env'])
            os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
            os.dup2(os.open(req['out'], os.O_WRONLY), 1)
            os.dup2(os.open(req['err'], os.O_WRONLY), 2)
            signal.alarm(req['timeout'])
            rc = shell.main(req['args']) or 0
        except SystemExit as exc:
            rc = exc.code if isinstance(exc.code, int) else 1
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(rc)
    _pid, status = os.waitpid(pid, 0)
    replies.write(json.dumps({'rc': os.waitstatus_to_exitcode(status)}) + '\n')
    replies.flush()
'''


class Forker:
    """``run(args, env)`` -> CompletedProcess of ``openstack *args``."""

    def __init__(self, python):
        self.python = python
        self.proc = None
        self.lock = threading.Lock()

    def _start(self):
        env = {k: v for k, v in os.environ.items()
               if not k.startswith('OS_')}
        self.proc = subprocess.Popen(
            [self.python, '-c', _SERVER], stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True, env=env)

    def run(self, args, env, timeout=300):
        with self.lock, tempfile.TemporaryDirectory() as tmp:
            if self.proc is None or self.proc.poll() is not None:
                self._start()
            out, err = (os.path.join(tmp, n) for n in ('out', 'err'))
            for path in (out, err):
                open(path, 'w').close()
            self.proc.stdin.write(json.dumps({
                'args': list(args), 'env': dict(env), 'out': out,
                'err': err, 'timeout': timeout}) + '\n')
            self.proc.stdin.flush()
            reply = self.proc.stdout.readline()
            if not reply:
                raise RuntimeError('the CLI forker ended (exit %s)'
                                   % self.proc.wait())
            rc = json.loads(reply)['rc']
            with open(out) as f_out, open(err) as f_err:
                return subprocess.CompletedProcess(
                    ['openstack'] + list(args), rc, f_out.read(),
                    f_err.read())

    def close(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

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

"""Start and stop the all-in-one's service processes.

Each service runs in its own session (process group), with stdout and stderr
in ``logs/<name>.log`` and its pid in ``run/<name>.pid``. A pid file also
records the process start time, so a recycled pid is never mistaken for the
service (and never killed). Stopping sends SIGTERM to the whole group, then
SIGKILL after a grace period.
"""

import os
import signal
import subprocess
import time


def _stat_fields(pid):
    """Fields of /proc/<pid>/stat from the state on (field 3), or None
    when the process is gone or a zombie."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            stat = f.read()
    except OSError:
        return None
    # The command name may hold spaces; fields follow its closing paren.
    fields = stat[stat.rindex(')') + 2:].split()
    return None if fields[0] == 'Z' else fields


def _live_processes():
    """(pid, stat fields) of every live (not zombie) process."""
    for entry in os.listdir('/proc'):
        if entry.isdigit():
            fields = _stat_fields(int(entry))
            if fields is not None:
                yield int(entry), fields


def _start_time(pid):
    """Kernel start time of a process (field 22 of /proc/<pid>/stat)."""
    fields = _stat_fields(pid)
    return None if fields is None else fields[19]


def running_as(signature):
    """Pids of live processes whose command line contains ``signature``.

    A service started by hand (its pid file not updated) is found by its
    command line, also after the process manager (cotyledon, under
    oslo.service's threading backend) has retitled it
    ("nova-conductor: master process [nova-conductor --config-file ..]").
    """
    found = []
    for pid, _fields in _live_processes():
        if pid == os.getpid():
            continue
        try:
            with open('/proc/%d/cmdline' % pid, 'rb') as f:
                cmdline = f.read().replace(b'\0', b' ').decode(
                    'utf-8', 'replace')
        except OSError:
            continue  # gone meanwhile
        if signature in cmdline:
            found.append(pid)
    return sorted(found)


class Process:
    def __init__(self, lay, name):
        self.name = name
        self.pidfile = os.path.join(lay.run, name + '.pid')
        self.logfile = os.path.join(lay.logs, name + '.log')

    def pid(self):
        """The running service's pid, or None."""
        try:
            with open(self.pidfile) as f:
                pid_s, started = f.read().split()
            pid = int(pid_s)
        except (OSError, ValueError):
            return None
        if _start_time(pid) != started:
            return None
        return pid

    def running(self):
        return self.pid() is not None

    def start(self, argv, env=None, cwd=None):
        if self.running():
            return self.pid()
        os.makedirs(os.path.dirname(self.logfile), exist_ok=True)
        with open(self.logfile, 'ab') as log:
            log.write(('\n=== %s start: %s\n' % (
                time.strftime('%Y-%m-%d %H:%M:%S'), ' '.join(argv))).encode())
            log.flush()
            proc = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                start_new_session=True)
        started = None
        for _ in range(50):
            started = _start_time(proc.pid)
            if started:
                break
            time.sleep(0.01)
        with open(self.pidfile, 'w') as f:
            f.write('%d %s\n' % (proc.pid, started))
        self._popen = proc
        return proc.pid

    def exited(self):
        """The exit code if the process we started has ended, else None."""
        proc = getattr(self, '_popen', None)
        if proc is None:
            return None if self.running() else -1
        return proc.poll()

    def stop(self, timeout=15):
        pid = self.pid()
        if pid is None:
            self._forget()
            return False
        try:
            os.killpg(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._group_alive(pid):
                break
            time.sleep(0.1)
        else:
            try:
                os.killpg(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        proc = getattr(self, '_popen', None)
        if proc is not None:
            proc.wait(timeout=5)
        self._forget()
        return True

    @staticmethod
    def _group_alive(pgid):
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        # Zombies still count for killpg; they are gone for our purpose.
        return bool(group_members(pgid))

    def _forget(self):
        try:
            os.unlink(self.pidfile)
        except FileNotFoundError:
            pass

    def tail(self, lines=30):
        try:
            with open(self.logfile, 'rb') as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                f.seek(max(0, size - 64 * 1024))
                data = f.read().decode(errors='replace')
        except OSError:
            return ''
        return '\n'.join(data.splitlines()[-lines:])


def run(argv, log, env=None, timeout=600, ok_codes=(0,)):
    """Run a one-shot command (db sync, bootstrap), output into ``log``."""
    os.makedirs(os.path.dirname(log), exist_ok=True)
    t0 = time.monotonic()
    with open(log, 'ab') as out:
        out.write(('\n=== %s %s\n' % (time.strftime('%Y-%m-%d %H:%M:%S'),
                                       ' '.join(argv))).encode())
        out.flush()
        proc = subprocess.run(argv, stdout=out, stderr=subprocess.STDOUT,
                              stdin=subprocess.DEVNULL, env=env,
                              timeout=timeout)
        out.write(('=== exit %d after %.1f s\n' % (
            proc.returncode, time.monotonic() - t0)).encode())
    if proc.returncode not in ok_codes:
        with open(log, 'rb') as f:
            tail = f.read()[-3000:].decode(errors='replace')
        raise RuntimeError('%s failed (exit %d); log %s:\n%s'
                           % (argv[0], proc.returncode, log, tail))


def group_members(pgid):
    """Pids of the live (not zombie) processes of process group ``pgid``."""
    return [pid for pid, fields in _live_processes()
            if int(fields[2]) == pgid]

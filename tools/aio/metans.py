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

"""Run one chassis's neutron-ovn-metadata-agent as if on its own machine.

    python -m tools.aio.metans --chassis NETNS -- neutron-ovn-metadata-agent ...

The all-in-one's compute hosts share one kernel and one /run/netns, but a
real chassis has its own: every metadata agent names its namespaces
``ovnmeta-<network id>``, so two agents on one machine would take each
other's namespace. This launcher gives the agent (and all it starts: its
privsep daemons, haproxy) a mount namespace of its own with an empty
/run/netns (a tmpfs) in which only the chassis's network namespace is
visible, under its own name (the agent's privsep helper enters it with
``nsenter``, so the veths the agent makes land next to that chassis's
vswitchd). When the agent and its haproxys are gone, so is the mount
namespace, and with it every ``ovnmeta-`` namespace they made.

One more thing a machine with the kernel datapath would not need: a TCP
reply that haproxy sends out of its veth leaves with its checksum for the
NIC to fill in, and the user-space datapath reads it off the veth's peer
unfilled, so the instance drops it. A watcher process (it dies with the
launcher's process) turns transmit checksum offload off on the veths in
each ``ovnmeta-`` namespace as the agent makes them. Nothing of Neutron's
runs altered: the agent is exec'd as it is.
"""

import argparse
import ctypes
import ctypes.util
import os
import signal
import subprocess
import sys
import time

CLONE_NEWNS = 0x00020000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MS_BIND = 4096
PR_SET_PDEATHSIG = 1
NETNS_DIR = '/run/netns'
META_PREFIX = 'ovnmeta-'
#: Seconds between two looks at /run/netns by the watcher.
WATCH_INTERVAL = 0.3

_libc = ctypes.CDLL(ctypes.util.find_library('c'), use_errno=True)


def _check(rc, what):
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, '%s: %s' % (what, os.strerror(err)))


def _mount(source, target, fstype, flags, data=None):
    _check(_libc.mount(
        source.encode() if source else None, target.encode(),
        fstype.encode() if fstype else None, ctypes.c_ulong(flags),
        data.encode() if data else None),
        'mount %s on %s' % (source or fstype, target))


def private_netns_dir(chassis):
    """A mount namespace of this process's own whose /run/netns holds the
    chassis's network namespace only."""
    keep = os.open(os.path.join(NETNS_DIR, chassis), os.O_RDONLY)
    _check(_libc.unshare(CLONE_NEWNS), 'unshare(CLONE_NEWNS)')
    _mount(None, '/', None, MS_REC | MS_PRIVATE)
    _mount('tmpfs', NETNS_DIR, 'tmpfs', 0, 'mode=755,size=1m')
    target = os.path.join(NETNS_DIR, chassis)
    open(target, 'w').close()
    _mount('/proc/self/fd/%d' % keep, target, None, MS_BIND)
    os.close(keep)


def _veths(ns):
    out = subprocess.run(
        ['nsenter', '--net=%s' % os.path.join(NETNS_DIR, ns), 'ip', '-o',
         'link', 'show', 'type', 'veth'], capture_output=True, text=True,
        timeout=30).stdout
    return [line.split(':')[1].strip().split('@')[0]
            for line in out.splitlines() if ':' in line]


def _tx_off(ns, dev):
    return subprocess.run(
        ['nsenter', '--net=%s' % os.path.join(NETNS_DIR, ns), 'ethtool',
         '-K', dev, 'tx', 'off'], capture_output=True, timeout=30
    ).returncode == 0


def watch_checksums(interval=WATCH_INTERVAL):
    """Turn tx checksum offload off on the veths of new ovnmeta- namespaces
    (forever; the caller's death ends it)."""
    done = set()
    while True:
        try:
            names = {n for n in os.listdir(NETNS_DIR)
                     if n.startswith(META_PREFIX)}
        except OSError:
            names = set()
        done &= names
        for ns in sorted(names - done):
            devs = _veths(ns)
            # The agent moves its veth end in a moment after it makes the
            # namespace: not done until there is one.
            if devs and all(_tx_off(ns, dev) for dev in devs):
                done.add(ns)
        time.sleep(interval)


def _start_watcher():
    pid = os.fork()
    if pid:
        return pid
    try:
        _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
        if os.getppid() == 1:
            os._exit(0)
        watch_checksums()
    finally:
        os._exit(0)


def stop_proxies(pids_dir, timeout=10):
    """Stop the haproxys whose pid files are in ``pids_dir`` (the agent's
    external/pids): they run as daemons, on after their agent stops.
    Returns the pids stopped."""
    try:
        names = os.listdir(pids_dir)
    except FileNotFoundError:
        return []
    stopped = []
    for name in names:
        path = os.path.join(pids_dir, name)
        try:
            with open(path) as f:
                pid = int(f.read().strip())
            with open('/proc/%d/cmdline' % pid, 'rb') as f:
                argv = f.read().split(b'\0')
        except (OSError, ValueError):
            argv = []
        if argv and os.path.basename(argv[0]) == b'haproxy':
            try:
                os.kill(pid, signal.SIGTERM)
                stopped.append(pid)
            except ProcessLookupError:
                pass
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
    deadline = time.monotonic() + timeout
    for pid in stopped:
        while os.path.exists('/proc/%d' % pid):
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                break
            time.sleep(0.1)
    return stopped


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    if '--' not in argv:
        sys.exit('usage: python -m tools.aio.metans --chassis NETNS -- '
                 'COMMAND...')
    cut = argv.index('--')
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--chassis', required=True,
                        help='the chassis network namespace (in /run/netns)')
    parser.add_argument('--pids', required=True,
                        help="the agent's folder of pid files: haproxys "
                             "left by an agent before it are stopped first")
    args = parser.parse_args(argv[:cut])
    command = argv[cut + 1:]
    stop_proxies(args.pids)
    private_netns_dir(args.chassis)
    _start_watcher()
    os.execv(command[0], command)


if __name__ == '__main__':
    main()

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

"""The all-in-one cloud: ``python -m tools.aio start|stop|status|env``.

start   engines, MariaDB, RabbitMQ, OVN (northd, a vswitchd and an
        ovn-controller per compute host), Keystone, Placement, Neutron
        (ML2/OVN), Nova (api, conductor, scheduler, serial console proxy,
        two computes with the Docker driver), Glance, Heat (api, engine
        with the OS::Docker plugin), Horizon with heat-dashboard;
        idempotent; health-checked
stop    every service process, MariaDB's included (the Docker engines
        stay up); --purge also deletes the cloud's network namespaces
status  one line per service: pid, running, healthy
env     shell lines that point the openstack CLI at this cloud (and
        OS_DASHBOARD_URL at its dashboard)
showcase  boot a Docker image with Nova (status, addresses, limits,
        console output), spread two servers over the two hosts, create a
        Heat stack of containers and a swarm-mode bay; then delete them;
        exits 1 naming the failed step
apps    an autoscaling group of Docker servers growing under CPU load and
        shrinking after it, and a rolling release rolled back by Heat;
        then delete them; exits 1 naming the failed step
"""

import argparse
import sys

from tools.aio import cloud as cloud_mod
from tools.aio import horizon
from tools.aio import layout


def dashboard_line(lay):
    """Where a person logs in to the dashboard, and as whom."""
    return ('dashboard: %s  (log in as %s / %s, domain Default; '
            'the admin: admin / %s)' % (
                horizon.url(lay), horizon.DEMO_USER, layout.DEMO_PASSWORD,
                layout.ADMIN_PASSWORD))


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='python -m tools.aio', description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='\n'.join(__doc__.splitlines()[2:]))
    parser.add_argument('action', choices=['start', 'stop', 'status', 'env', 'showcase',
                                           'apps'])
    parser.add_argument('--compute-driver',
                        help='nova.virt driver for the computes '
                             '(default docker.DockerDriver)')
    parser.add_argument('--keep', action='store_true',
                        help='showcase, apps: leave what it created')
    parser.add_argument('--no-bay', action='store_true',
                        help='showcase: leave out the bay')
    parser.add_argument('--purge', action='store_true',
                        help='stop: also delete the network namespaces')
    args = parser.parse_args(argv)
    lay = layout.Layout()
    cloud = cloud_mod.Cloud(lay, compute_driver=args.compute_driver)
    if args.action == 'start':
        try:
            cloud.start()
        except cloud_mod.StartError as exc:
            print('all-in-one did not start: %s\n(what did start keeps running: '
                  'python -m tools.aio stop, or make aio-stop)' % exc,
                  file=sys.stderr)
            return 1
        print('use it: eval "$(%s -m tools.aio env)"; openstack server list'
              % sys.executable)
        print(dashboard_line(lay))
        return 0
    if args.action == 'stop':
        stopped = cloud.stop(purge=args.purge)
        print('stopped: %s' % (', '.join(stopped) or 'nothing was running'))
        return 0
    if args.action == 'status':
        bad = 0
        for name, pid, running, ok in cloud.status():
            print('%-24s %-8s %-8s %s' % (name, pid or '-',
                                          'running' if running else 'stopped',
                                          'healthy' if ok else
                                          ('UNHEALTHY' if running else '-')))
            bad += not ok
        return 1 if bad else 0
    if args.action in ('showcase', 'apps'):
        from tools.aio import apps
        from tools.aio import showcase
        down = cloud.database_down() or cloud.network_down()
        if down:
            print(down, file=sys.stderr)
            return 1
        try:
            if args.action == 'apps':
                apps.Apps(lay).run(keep=args.keep)
            else:
                showcase.Showcase(lay).run(keep=args.keep,
                                           bay=not args.no_bay)
        except showcase.ShowcaseFailed as exc:
            print('%s FAILED: %s\n(logs: %s)' % (args.action.upper(), exc,
                                                 lay.logs), file=sys.stderr)
            return 1
        print('%s done' % args.action)
        if args.action == 'showcase':
            print(dashboard_line(lay))
        return 0
    if args.action == 'env':
        from tools.aio import ovn
        print('export OS_CLIENT_CONFIG_FILE=%s OS_CLOUD=aio-admin'
              % lay.clouds_yaml)
        # The venv's openstack CLI (with the clients this cloud has) first.
        print('export PATH=%s:"$PATH"' % lay.bin)
        print('export OS_DASHBOARD_URL=%s' % horizon.url(lay))
        print('# floating IPs answer from the outside namespace: '
              'ip netns exec %s curl http://<floating ip>:<port>/'
              % ovn.outside_ns(lay))
        return 0


if __name__ == '__main__':
    sys.exit(main())

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

"""The showcase on a running all-in-one, with the openstack CLI.

Each step prints the command it runs and what came back, and how long it
took: the services and network agents, the demo tenant's network (made on
the first run: ``demo-net`` behind ``demo-router`` to ``public``, kept for
the tenant), a Docker image (a ``docker save`` tarball uploaded to Glance)
booted as a Nova server on it with its status, address, the limits the
engine enforces and its console output, a web server reached through a
floating IP from outside the cloud (the outside namespace), two web
servers spread over the two compute hosts by an anti-affinity group, a
load balancer in front of those two (Octavia with the OVN provider:
``demo-lb`` with a TCP listener and a pool, made on the first run and
kept for the tenant like its network; this run's two servers join the
pool and leave it at the end) answering in turn through its VIP from a
container and from outside through a floating IP, a Heat stack
of two containers, and a swarm-mode bay with the docker-bay CLI
(``--no-bay`` leaves it out). Everything else it creates is deleted at the
end (``--keep`` leaves it). A failed step raises ``ShowcaseFailed`` naming
the command and its error.
"""

import json
import os
import subprocess
import sys
import time

from tools.aio import layout as layout_mod
from tools.aio import ovn

LABEL_UUID = 'org.openstack.nova.instance_uuid'
HELLO_IMAGE = 'showcase-hello'
NETWORK = 'demo-net'
SUBNET_CIDR = '10.0.0.0/24'
WEB_PORT = 8080
LB = 'demo-lb'
LB_PORT = 80
LB_REQUESTS = 8
# Prints who it is (from the metadata the driver puts in the container),
# then idles; exits at once on SIGTERM so a stop is quick.
HELLO_COMMAND = (
    "sh -c 'echo hello from $(hostname), a Nova server in a container; "
    "grep -o \"\\\"uuid\\\": \\\"[^\\\"]*\\\"\" "
    "/var/lib/cloud/seed/config_drive/openstack/latest/meta_data.json; "
    "trap \"exit 0\" TERM; while :; do sleep 1 & wait $!; done'")
LIMITS_FORMAT = ('memory={{.HostConfig.Memory}} bytes, '
                 'cpu quota={{.HostConfig.CpuQuota}}/{{.HostConfig.CpuPeriod}}'
                 ' us, cpu shares={{.HostConfig.CpuShares}}, '
                 'pids limit={{.HostConfig.PidsLimit}}, '
                 'privileged={{.HostConfig.Privileged}}')


class ShowcaseFailed(Exception):
    """A showcase step failed; the message names the command."""


class Showcase:
    def __init__(self, lay, out=sys.stdout, flavor='docker.tiny'):
        self.lay = lay
        self.out = out
        self.flavor = flavor

    def say(self, text=''):
        print(text, file=self.out, flush=True)

    def cli(self, *args, cloud='aio-demo', show=True, fmt_json=False):
        argv = ['openstack'] + list(args) + (['-f', 'json'] if fmt_json
                                             else [])
        if show:
            self.say('$ OS_CLOUD=%s %s' % (cloud, ' '.join(argv)))
        t0 = time.monotonic()
        proc = subprocess.run(argv, env=self.lay.client_env(cloud),
                              capture_output=True, text=True, timeout=600)
        took = time.monotonic() - t0
        if proc.returncode != 0:
            raise ShowcaseFailed('%s failed: %s' % (' '.join(argv),
                                                     proc.stderr[-2000:]))
        if show and not fmt_json:
            self.say(proc.stdout.rstrip())
        if show:
            self.say('  (%.1f s)' % took)
        return json.loads(proc.stdout) if fmt_json else proc.stdout

    def endpoint(self, host):
        """The Docker endpoint of compute ``host``'s engine."""
        return [e for e in self.lay.engines if e.host == host][0].endpoint

    def docker_ps(self, host):
        endpoint = self.endpoint(host)
        out = subprocess.run(
            ['docker', '-H', endpoint, 'ps', '--format',
             '{{.Names}}  {{.Image}}  {{.Status}}'],
            capture_output=True, text=True, timeout=60).stdout
        self.say('$ docker -H %s ps   # the engine of %s' % (endpoint, host))
        self.say(out.rstrip())

    def docker(self, host, *args):
        proc = subprocess.run(['docker', '-H', self.endpoint(host)] +
                              list(args),
                              capture_output=True, text=True, timeout=120)
        if proc.returncode != 0:
            raise ShowcaseFailed('docker %s failed: %s' % (
                ' '.join(args), proc.stderr[-2000:]))
        return proc.stdout.strip()

    def hello_image(self):
        """Upload a ``docker save`` tarball of dos/busybox to Glance with
        an ``os_command_line`` that says hello."""
        tarball = os.path.join(self.lay.data, 'showcase-hello.tar')
        self.docker(self.lay.engines[0].host, 'save', '-o', tarball,
                    'dos/busybox:latest')
        try:
            return self.cli('image', 'create', '--container-format', 'docker',
                            '--disk-format', 'raw', '--file', tarball,
                            '--property', 'os_command_line=%s' % HELLO_COMMAND,
                            '--property', 'hw_architecture=%s'
                            % os.uname().machine, HELLO_IMAGE,
                            fmt_json=True)
        finally:
            os.unlink(tarball)

    def limits(self, host, server_id):
        container = self.container(host, server_id)
        self.say('$ docker inspect %s   # the limits the engine enforces'
                 % container)
        self.say(self.docker(host, 'inspect', '--format', LIMITS_FORMAT,
                             container))

    def console(self, server_id, expect='hello from', timeout=60):
        deadline = time.monotonic() + timeout
        while True:
            out = self.cli('console', 'log', 'show', server_id, show=False)
            if expect in out or time.monotonic() > deadline:
                break
            time.sleep(1)
        self.say('$ OS_CLOUD=aio-demo openstack console log show %s'
                 % server_id)
        self.say(out.rstrip())
        if expect not in out:
            raise ShowcaseFailed('console output of %s has no %r after %d s'
                                 % (server_id, expect, timeout))

    def bay_cli(self, *args):
        # Written by the cloud's start (configs.bay_conf).
        conf = self.lay.conf('docker-bay.conf')
        argv = ['docker-bay', '--config-file', conf] + list(args)
        self.say('$ ' + ' '.join(argv))
        t0 = time.monotonic()
        proc = subprocess.run(argv, env=self.lay.client_env(),
                              capture_output=True, text=True, timeout=900)
        if proc.returncode != 0:
            raise ShowcaseFailed('%s failed: %s' % (' '.join(argv),
                                                     proc.stderr[-2000:]))
        self.say(proc.stdout.rstrip())
        self.say('  (%.1f s)' % (time.monotonic() - t0))

    def bay(self):
        # The node image is built locally once (debootstrap, about a minute).
        env = dict(os.environ, DOCKER_HOST=self.lay.engines[0].endpoint)
        subprocess.run([os.path.join(self.lay.bin, 'python'), os.path.join(
            layout_mod.ROOT, 'tools', 'node_image.py')], env=env, check=True,
            timeout=1800)
        self.bay_cli('cluster', 'template', 'create', 'showcase-swarm',
                     '--coe', 'swarm-mode', '--image', 'dos/bay-node:latest',
                     '--node-count', '1')
        self.bay_cli('cluster', 'create', 'showcase-bay',
                     '--cluster-template', 'showcase-swarm')
        self.bay_cli('cluster', 'list')

    def server(self, made, name, *args):
        """``server create --wait``; ``made`` gets the name first (a boot
        that fails leaves an ERROR server to delete), then the id."""
        made.append(name)
        server = self.cli('server', 'create', '--flavor', self.flavor,
                          '--network', NETWORK, *args, '--wait', name,
                          fmt_json=True)
        made[-1] = server['id']
        return server

    def tenant_network(self):
        """demo-net, its subnet and a router to public; made once."""
        if self.cli('network', 'list', '--name', NETWORK, fmt_json=True,
                    show=False):
            self.cli('network', 'show', NETWORK, '-c', 'name', '-c', 'mtu',
                     '-c', 'subnets', '-c', 'provider:network_type')
            return
        self.cli('network', 'create', NETWORK, '-c', 'name', '-c', 'mtu',
                 '-c', 'status')
        self.cli('subnet', 'create', '--network', NETWORK, '--subnet-range',
                 SUBNET_CIDR, '--dns-nameserver', ovn.OUTSIDE_GATEWAY,
                 'demo-subnet', '-c', 'cidr', '-c', 'gateway_ip', '-c',
                 'dns_nameservers')
        self.cli('router', 'create', 'demo-router', '-c', 'name')
        self.cli('router', 'set', '--external-gateway', 'public',
                 'demo-router')
        self.cli('router', 'add', 'subnet', 'demo-router', 'demo-subnet')

    def from_outside(self, url, timeout=60):
        """GET ``url`` from the outside namespace until it answers."""
        argv = ['curl', '-s', '-m', '3', '-o', '/dev/null', '-w',
                '%{http_code}', url]
        self.say('$ ip netns exec %s %s   # from outside the cloud'
                 % (ovn.outside_ns(self.lay), ' '.join(argv)))
        deadline = time.monotonic() + timeout
        t0 = time.monotonic()
        code = ''
        while time.monotonic() < deadline:
            code = ovn.outside_exec(self.lay, *argv, timeout=10).stdout
            if code == '200':
                break
            time.sleep(1)
        self.say('HTTP %s  (%.1f s)' % (code or 'no answer',
                                        time.monotonic() - t0))
        if code != '200':
            raise ShowcaseFailed('%s did not answer from outside the cloud '
                                 'within %d s' % (url, timeout))

    def container(self, host, server_id):
        """The container of ``server_id`` on ``host``'s engine."""
        found = self.docker(host, 'ps', '-a', '--filter', 'label=%s=%s'
                            % (LABEL_UUID, server_id), '--format', '{{.ID}}')
        if not found:
            raise ShowcaseFailed('no container on %s for server %s'
                                 % (host, server_id))
        return found.split()[0]

    def standing_lb(self):
        """demo-lb on demo-subnet with a TCP listener on LB_PORT and a pool:
        made on the first run, found and reused after it (the tenant's
        standing set-up, like its network). A load balancer this call
        made is deleted again when a later step of it fails. Returns
        (load balancer, pool) as shown by the CLI."""
        found = self.cli('loadbalancer', 'list', '--name', LB,
                         fmt_json=True, show=False)
        made = None
        try:
            if found:
                self.say('%s exists (made by an earlier run): reused' % LB)
                lb = self.cli('loadbalancer', 'show', found[0]['id'],
                              fmt_json=True, show=False)
            else:
                lb = self.cli('loadbalancer', 'create', '--name', LB,
                              '--provider', 'ovn', '--vip-subnet-id',
                              'demo-subnet', '--wait', fmt_json=True)
                made = lb['id']
            if not self.cli('loadbalancer', 'listener', 'list',
                            '--loadbalancer', lb['id'], fmt_json=True,
                            show=False):
                self.cli('loadbalancer', 'listener', 'create', '--name',
                         LB + '-tcp', '--protocol', 'TCP', '--protocol-port',
                         str(LB_PORT), '--wait', lb['id'], '-c', 'name',
                         '-c', 'protocol', '-c', 'protocol_port')
            pools = self.cli('loadbalancer', 'pool', 'list',
                             '--loadbalancer', lb['id'], fmt_json=True,
                             show=False)
            if pools:
                pool = pools[0]
            else:
                pool = self.cli('loadbalancer', 'pool', 'create', '--name',
                                LB + '-pool', '--listener', LB + '-tcp',
                                '--protocol', 'TCP', '--lb-algorithm',
                                'SOURCE_IP_PORT', '--wait', fmt_json=True)
        except ShowcaseFailed:
            if made:
                self.cli('loadbalancer', 'delete', '--cascade', '--wait',
                         made)
            raise
        self.cli('loadbalancer', 'show', lb['id'], '-c', 'name', '-c',
                 'provider', '-c', 'vip_address', '-c',
                 'provisioning_status')
        return lb, pool

    def answers(self, fetch, what, timeout=60):
        """Ask LB_REQUESTS times (``fetch()`` returns the answers) until
        both members answered in one round; prints the round."""
        def both(got):
            return (len(got) == LB_REQUESTS and
                    set(got) == {'showcase-2', 'showcase-3'})
        deadline = time.monotonic() + timeout
        got = fetch()
        while not both(got) and time.monotonic() < deadline:
            time.sleep(1)
            got = fetch()
        self.say('%d requests %s, answered by: %s'
                 % (LB_REQUESTS, what, ' '.join(a or '(none)' for a in got)))
        if not both(got):
            raise ShowcaseFailed('the load balancer did not answer %s from '
                                 'both members within %d s: %s'
                                 % (what, timeout, got))

    def load_balanced(self, spread, client, made_members, made_fips):
        """The two web servers of ``spread`` ({name: (id, host,
        addresses)}) join demo-lb's pool; its VIP answers from the
        ``client`` server's container (id, host) and from outside through
        a floating IP, the two in turn."""
        lb, pool = self.standing_lb()
        # Members an earlier run left (--keep) make way for this run's.
        for member in self.cli('loadbalancer', 'member', 'list', pool['id'],
                               fmt_json=True, show=False):
            self.cli('loadbalancer', 'member', 'delete', '--wait',
                     pool['id'], member['id'])
        for name, (sid, host, addresses) in sorted(spread.items()):
            self.docker(host, 'exec', self.container(host, sid), 'sh', '-c',
                        'echo %s > /www/who' % name)
            address = addresses[NETWORK][0]
            made_members.append((pool['id'], name))
            self.cli('loadbalancer', 'member', 'create', '--name', name,
                     '--address', address, '--protocol-port', str(WEB_PORT),
                     '--subnet-id', 'demo-subnet', '--wait', pool['id'],
                     '-c', 'name', '-c', 'address', '-c', 'protocol_port')
        vip = lb['vip_address']
        client_id, client_host = client
        container = self.container(client_host, client_id)
        loop = ("i=0; while [ $i -lt %d ]; do i=$((i+1)); "
                "a=$(printf 'GET /who HTTP/1.0\\r\\n\\r\\n' | "
                "nc -w 2 %s %d | tail -1); echo \"=$a\"; done"
                % (LB_REQUESTS, vip, LB_PORT))
        self.say('$ docker -H %s exec %s sh -c "GET http://%s:%d/who, %d '
                 'times"   # from showcase-1, on demo-net'
                 % (self.endpoint(client_host), container, vip, LB_PORT,
                    LB_REQUESTS))

        def from_container():
            out = self.docker(client_host, 'exec', container, 'sh', '-c',
                              loop)
            return [line[1:] for line in out.splitlines()
                    if line.startswith('=')]
        self.answers(from_container, 'to the VIP %s from a container' % vip)
        made_fips.append(None)
        fip = self.cli('floating', 'ip', 'create', '--port',
                       lb['vip_port_id'], 'public', fmt_json=True)
        made_fips[-1] = fip['id']
        address = fip['floating_ip_address']
        url = 'http://%s:%d/who' % (address, LB_PORT)
        self.say('$ ip netns exec %s curl -s %s   # %d times, from outside'
                 % (ovn.outside_ns(self.lay), url, LB_REQUESTS))

        def from_outside():
            out = ovn.outside_exec(
                self.lay, 'sh', '-c', 'for i in $(seq %d); do echo '
                '"=$(curl -s -m 3 %s)"; done' % (LB_REQUESTS, url),
                timeout=10 + 4 * LB_REQUESTS).stdout
            return [line[1:] for line in out.splitlines()
                    if line.startswith('=')]
        self.answers(from_outside, 'to its floating IP %s from outside'
                     % address)

    def run(self, keep=False, bay=True):
        made_servers, made_stacks, made_bays, made_groups = [], [], [], []
        made_images, made_fips, made_groups_sg = [], [], []
        made_members = []
        failed = True
        try:
            self.say('== The cloud')
            self.cli('compute', 'service', 'list', '-c', 'Binary', '-c',
                     'Host', '-c', 'State', cloud='aio-admin')
            self.cli('hypervisor', 'list', cloud='aio-admin')
            self.cli('network', 'agent', 'list', '-c', 'Agent Type', '-c',
                     'Host', '-c', 'Alive', cloud='aio-admin')
            self.cli('image', 'list', '--long', '-c', 'Name', '-c',
                     'Container Format', '-c', 'Status')

            self.say('\n== The tenant\'s network (Neutron, ML2/OVN)')
            self.tenant_network()

            self.say('\n== A Docker image booted as a Nova server')
            made_images.append(HELLO_IMAGE)
            made_images[-1] = self.hello_image()['id']
            # By id: a kept earlier run may have left one of that name.
            server = self.server(made_servers, 'showcase-1',
                                 '--image', made_images[-1])
            server_id = server['id']
            shown = self.cli('server', 'show', server['id'], cloud='aio-admin',
                             fmt_json=True, show=False)
            host = shown['OS-EXT-SRV-ATTR:host']
            self.say('showcase-1 is %s on %s; addresses: %s'
                     % (shown['status'], host, shown.get('addresses')))
            self.cli('flavor', 'show', self.flavor, '-c', 'ram', '-c',
                     'vcpus', '-c', 'disk')
            self.limits(host, server['id'])
            self.console(server['id'])
            self.docker_ps(host)

            self.say('\n== A web server, reached from outside the cloud')
            made_groups_sg.append('showcase-web')
            self.cli('security', 'group', 'create', 'showcase-web', '-c',
                     'name')
            self.cli('security', 'group', 'rule', 'create', '--protocol',
                     'tcp', '--dst-port', str(WEB_PORT), 'showcase-web',
                     '-c', 'port_range_min', '-c', 'protocol')
            web = self.server(made_servers, 'showcase-web', '--image',
                              'dos-httpd', '--security-group', 'showcase-web')
            made_fips.append(None)
            fip = self.cli('floating', 'ip', 'create', 'public',
                           fmt_json=True)
            made_fips[-1] = fip['id']
            address = fip['floating_ip_address']
            self.cli('server', 'add', 'floating', 'ip', web['id'], address)
            self.from_outside('http://%s:%d/' % (address, WEB_PORT))

            self.say('\n== The scheduler: anti-affinity over two hosts')
            made_groups.append('showcase-spread')
            group = self.cli('server', 'group', 'create', '--policy',
                             'anti-affinity', 'showcase-spread',
                             fmt_json=True)
            made_groups[-1] = group['id']
            hosts, spread = [], {}
            for i in (2, 3):
                server = self.server(made_servers, 'showcase-%d' % i,
                                     '--image', 'dos-httpd',
                                     '--security-group', 'showcase-web',
                                     '--hint', 'group=%s' % group['id'])
                shown = self.cli('server', 'show', server['id'],
                                 cloud='aio-admin', fmt_json=True,
                                 show=False)
                hosts.append(shown['OS-EXT-SRV-ATTR:host'])
                spread['showcase-%d' % i] = (server['id'], hosts[-1],
                                             shown['addresses'])
            self.say('showcase-2 on %s, showcase-3 on %s' % tuple(hosts))

            self.say('\n== A load balancer in front of them (Octavia, '
                     'provider ovn)')
            self.load_balanced(spread, (server_id, host), made_members,
                               made_fips)

            self.say('\n== A Heat stack of containers')
            template = os.path.join(self.lay.data, 'showcase-stack.yaml')
            with open(template, 'w') as f:
                f.write(STACK)
            made_stacks.append('showcase-stack')
            self.cli('stack', 'create', '-t', template, '--wait',
                     'showcase-stack', show=True)
            self.cli('stack', 'output', 'show', 'showcase-stack', '--all')

            if bay:
                self.say('\n== A swarm-mode bay (docker-bay, in the style of '
                         '`openstack coe`)')
                made_bays.append('showcase-bay')
                self.bay()
            failed = False
        finally:
            if not keep:
                problems = self.clean_up(made_bays, made_stacks, made_servers,
                                         made_groups, made_images,
                                         made_fips, made_groups_sg,
                                         made_members)
                # A failed step's own error goes on; the clean-up's
                # problems were printed above it.
                if problems and not failed:
                    raise ShowcaseFailed('clean-up failed: %s'
                                         % '; '.join(problems))

    def clean_up(self, bays, stacks, servers, groups, images, fips=(),
                 security_groups=(), members=()):
        """Delete what the showcase made, each step tried whatever came
        before; returns what could not be deleted. The tenant's network
        and load balancer stay (a tenant's standing set-up; the next run
        reuses them); this run's members leave its pool."""
        self.say('\n== Clean-up')
        steps = [(self.bay_cli, args) for name in bays
                 for args in (('cluster', 'delete', name),
                              ('cluster', 'template', 'delete',
                               'showcase-swarm'))]
        steps += [(self.cli, ('floating', 'ip', 'delete', fip))
                  for fip in fips if fip]
        steps += [(self.cli, ('loadbalancer', 'member', 'delete', '--wait',
                              pool, member)) for pool, member in members]
        steps += [(self.cli, ('stack', 'delete', '-y', '--wait', stack))
                  for stack in stacks]
        steps += [(self.cli, ('server', 'delete', '--wait', server))
                  for server in servers]
        steps += [(self.cli, ('server', 'group', 'delete', group))
                  for group in groups]
        steps += [(self.cli, ('security', 'group', 'delete', group))
                  for group in security_groups]
        steps += [(self.cli, ('image', 'delete', image)) for image in images]
        problems = []
        for run, args in steps:
            try:
                run(*args)
            except ShowcaseFailed as exc:
                self.say('clean-up: %s' % exc)
                problems.append(str(exc).split('\n', 1)[0])
        return problems


STACK = '''heat_template_version: 2018-08-31
description: a web container and a client that knows its address
resources:
  web:
    type: OS::Docker::Container
    properties:
      image: dos/httpd
  client:
    type: OS::Docker::Container
    properties:
      image: dos/idle
      env: [{list_join: ['', ['WEB_URL=http://', {get_attr: [web, network_ip]}, ':8080/']]}]
outputs:
  web_ip: {value: {get_attr: [web, network_ip]}}
  web_host: {value: {get_attr: [web, docker_host]}}
'''

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

"""One-time and per-start steps of the all-in-one: engines, databases,
Keystone's users and catalog, cell discovery, flavors and the sample images,
and the health probes the start-up loop polls.
"""

import concurrent.futures
import datetime
import http.client
import importlib.util
import os
import subprocess
import time

from tools.aio import layout as layout_mod
from tools.aio import ovn
from tools.aio import procs
from tools.aio import services
from tools.aio import telemetry

# Glance images made from local Docker images (built by tools/build_images.py).
SAMPLE_IMAGES = {'dos-idle': 'dos/idle:latest', 'dos-httpd': 'dos/httpd:latest'}
FLAVORS = [
    # name, ram MB, vcpus, disk GB
    ('docker.tiny', 64, 1, 1),
    ('docker.small', 256, 1, 2),
    ('docker.big', 8192, 2, 4),
]
CATALOG = [
    # service name, type, port name, path
    ('nova', 'compute', 'nova-api', '/v2.1'),
    ('placement', 'placement', 'placement', ''),
    ('glance', 'image', 'glance', ''),
    ('heat', 'orchestration', 'heat-api', '/v1/$(project_id)s'),
    ('neutron', 'network', 'neutron', ''),
    ('octavia', 'load-balancer', 'octavia-api', ''),
    # Aetos, Keystone's door to the Ceilometer samples in Prometheus:
    # python-observabilityclient (`openstack metric`) and Aodh find it as
    # metric-storage.
    ('aetos', 'metric-storage', 'aetos', ''),
    # Aodh: alarms, among them Prometheus queries (autoscaling).
    ('aodh', 'alarming', 'aodh-api', ''),
]
SERVICE_USERS = ('nova', 'placement', 'glance', 'heat', 'neutron',
                 'octavia', 'ceilometer', 'aetos', 'aodh')
#: Projects with a member user of the same name (password DEMO_PASSWORD).
TENANTS = ('demo', 'alt_demo')


def heat_plugin_dir():
    """heat_plugin/resources of the installed package (not imported: it
    needs Heat, which this process does not load)."""
    spec = importlib.util.find_spec('heat_plugin.resources')
    return list(spec.submodule_search_locations)[0]


def start_engines(lay):
    script = os.path.join(layout_mod.ROOT, 'tools', 'docker-engine.sh')
    for engine in lay.engines:
        subprocess.run([script, 'start'], env=engine.env(), check=True,
                       stdout=subprocess.DEVNULL, timeout=120)


#: Where libuuid asks uuidd for time-based UUIDs (compiled into libuuid).
UUIDD_SOCKET = '/run/uuidd/request'
UUIDD = '/usr/sbin/uuidd'


def start_uuidd(timeout=10):
    """Start the host's uuidd unless one answers already; True if started
    (the caller waits for it to answer on ``UUIDD_SOCKET``).

    Without uuidd, libuuid gives every thread that makes a time-based UUID
    (Ceilometer's sample ids: ``uuid.uuid1``) a descriptor of
    /var/lib/libuuid/clock.txt that it never closes. Ceilometer's polling
    agent runs each poll in new threads, so the agent would gain
    descriptors for as long as it polls. With uuidd answering, libuuid asks
    the daemon and opens nothing. A host service, as systemd's
    uuidd.socket is on a distribution's host: the cloud's stop leaves it.
    """
    if ovn.unix_open(UUIDD_SOCKET):
        return False
    os.makedirs(os.path.dirname(UUIDD_SOCKET), exist_ok=True)
    # Forks into a daemon; no --timeout: it stays up while idle.
    subprocess.run([UUIDD, '--quiet', '--socket', UUIDD_SOCKET], check=True,
                   stdout=subprocess.DEVNULL, timeout=timeout)
    return True


def stop_own_engines(lay):
    script = os.path.join(layout_mod.ROOT, 'tools', 'docker-engine.sh')
    stopped = []
    for engine in lay.engines:
        inside = os.path.abspath(engine.state).startswith(lay.base + os.sep)
        if inside and os.path.exists(os.path.join(engine.state,
                                                  'docker.pid')):
            subprocess.run([script, 'stop'], env=engine.env(), check=True,
                           stdout=subprocess.DEVNULL, timeout=120)
            stopped.append('docker-engine-' + engine.host)
    return stopped


def _manage(lay, log, *argv, ok_codes=(0,)):
    env = services.base_env(lay)
    procs.run([os.path.join(lay.bin, argv[0])] + list(argv[1:]),
              os.path.join(lay.logs, log), env=env, ok_codes=ok_codes)


def sync_databases(lay):
    """Every service's schema, in parallel (they are separate databases)."""
    os.makedirs(lay.data, exist_ok=True)
    kconf = lay.conf('keystone', 'keystone.conf')
    nconf = lay.conf('nova', 'nova.conf')

    def keystone():
        for folder in ('fernet', 'credential'):
            os.makedirs(lay.conf('keystone', folder), mode=0o700,
                        exist_ok=True)
        _manage(lay, 'keystone-manage.log', 'keystone-manage',
                '--config-file', kconf, 'db_sync')
        user = ['--keystone-user', 'root', '--keystone-group', 'root']
        _manage(lay, 'keystone-manage.log', 'keystone-manage',
                '--config-file', kconf, 'fernet_setup', *user)
        _manage(lay, 'keystone-manage.log', 'keystone-manage',
                '--config-file', kconf, 'credential_setup', *user)
        _manage(lay, 'keystone-manage.log', 'keystone-manage',
                '--config-file', kconf, 'bootstrap',
                '--bootstrap-password', layout_mod.ADMIN_PASSWORD,
                '--bootstrap-admin-url', lay.auth_url,
                '--bootstrap-public-url', lay.auth_url,
                '--bootstrap-internal-url', lay.auth_url,
                '--bootstrap-region-id', layout_mod.REGION)

    def nova():
        log = 'nova-manage.log'
        _manage(lay, log, 'nova-manage', '--config-file', nconf,
                'api_db', 'sync')
        _manage(lay, log, 'nova-manage', '--config-file', nconf,
                'cell_v2', 'map_cell0', '--database_connection',
                lay.database('nova', 'nova_cell0'))
        _manage(lay, log, 'nova-manage', '--config-file', nconf,
                'cell_v2', 'create_cell', '--name', 'cell1',
                # 2: the cell exists (a start interrupted after this step)
                ok_codes=(0, 2))
        _manage(lay, log, 'nova-manage', '--config-file', nconf,
                'db', 'sync')

    def placement():
        _manage(lay, 'placement-manage.log', 'placement-manage',
                '--config-file', lay.conf('placement', 'placement.conf'),
                'db', 'sync')

    def glance():
        _manage(lay, 'glance-manage.log', 'glance-manage',
                '--config-file', lay.conf('glance', 'glance-api.conf'),
                'db_sync')

    def heat():
        _manage(lay, 'heat-manage.log', 'heat-manage',
                '--config-file', lay.conf('heat', 'heat.conf'), 'db_sync')

    def neutron():
        _manage(lay, 'neutron-db-manage.log', 'neutron-db-manage',
                '--config-file', lay.conf('neutron', 'neutron.conf'),
                '--config-file', lay.conf('neutron', 'ml2_conf.ini'),
                'upgrade', 'heads')

    def octavia():
        _manage(lay, 'octavia-db-manage.log', 'octavia-db-manage',
                '--config-file', lay.conf('octavia', 'octavia.conf'),
                'upgrade', 'head')

    def aodh():
        # Aodh lives in the telemetry venv (tools/aio/telemetry.py).
        procs.run([telemetry.tvenv_bin('aodh-dbsync'), '--config-file',
                   telemetry.aodh_conf_file(lay)],
                  os.path.join(lay.logs, 'aodh-dbsync.log'),
                  env=services.base_env(lay))

    jobs = [keystone, nova, placement, glance, heat, neutron, octavia, aodh]
    with concurrent.futures.ThreadPoolExecutor(len(jobs)) as pool:
        for future in [pool.submit(job) for job in jobs]:
            future.result()


def admin_session(lay, tries=20):
    from keystoneauth1 import exceptions
    from keystoneauth1.identity import v3
    from keystoneauth1 import session as ks_session
    auth = v3.Password(auth_url=lay.auth_url, username='admin',
                       password=layout_mod.ADMIN_PASSWORD,
                       project_name='admin', user_domain_name='Default',
                       project_domain_name='Default')
    sess = ks_session.Session(auth=auth, timeout=30)
    for attempt in range(tries):
        try:
            sess.get_token()
            return sess
        except exceptions.ClientException:
            if attempt == tries - 1:
                raise
            time.sleep(0.5)


def identity(lay, sess):
    """Service users, the demo project and user, and the service catalog."""
    from keystoneclient.v3 import client
    ks = client.Client(session=sess, interface='public')

    def get_or_create(manager, name, **kw):
        found = [x for x in manager.list() if x.name == name]
        return found[0] if found else manager.create(name=name, **kw)

    service_project = get_or_create(ks.projects, 'service',
                                    domain='default')
    # The role services call each other with (Neutron's port binding
    # needs it): keystone-manage bootstrap does not make it.
    get_or_create(ks.roles, 'service')
    roles = {r.name: r for r in ks.roles.list()}
    for name in SERVICE_USERS:
        user = get_or_create(ks.users, name, domain='default',
                             password=layout_mod.SERVICE_PASSWORD,
                             default_project=service_project)
        for role in ('admin', 'service'):
            ks.roles.grant(roles[role], user=user, project=service_project)
    # Heat's stack domain (DevStack makes the same): the users Heat makes
    # for a stack's signals live there, made by the domain's own admin.
    get_or_create(ks.roles, 'heat_stack_user')
    heat_domain = get_or_create(ks.domains, layout_mod.HEAT_DOMAIN)
    domain_admin = [u for u in ks.users.list(domain=heat_domain)
                    if u.name == layout_mod.HEAT_DOMAIN_ADMIN]
    domain_admin = domain_admin[0] if domain_admin else ks.users.create(
        name=layout_mod.HEAT_DOMAIN_ADMIN, domain=heat_domain,
        password=layout_mod.SERVICE_PASSWORD)
    roles = {r.name: r for r in ks.roles.list()}
    ks.roles.grant(roles['admin'], user=domain_admin, domain=heat_domain)
    for name in TENANTS:
        project = get_or_create(ks.projects, name, domain='default')
        user = get_or_create(ks.users, name, domain='default',
                             password=layout_mod.DEMO_PASSWORD,
                             default_project=project)
        ks.roles.grant(roles['member'], user=user, project=project)
    for name, kind, port, path in CATALOG:
        service = get_or_create(ks.services, name, type=kind)
        existing = {e.interface for e in ks.endpoints.list(service=service)}
        for interface in ('public', 'internal'):
            if interface not in existing:
                ks.endpoints.create(service, lay.url(port, path),
                                    interface=interface,
                                    region=layout_mod.REGION)


def http_ok(port, path='/'):
    conn = http.client.HTTPConnection('127.0.0.1', port, timeout=3)
    try:
        conn.request('GET', path)
        return conn.getresponse().status < 500
    except OSError:
        return False
    finally:
        conn.close()


def rpc_up(lay, sess, svc, since=None):
    """The service has reported in: Nova's os-services or Heat's services.

    since: the epoch time the service's process was started, to accept
    only a record written by that process (see ``reported_since``).
    """
    from keystoneauth1 import exceptions
    if sess is None:
        return False
    try:
        return any(reported_since(r, since) for r in _up_records(sess, svc))
    except exceptions.ClientException:
        # Heat's services call goes to heat-engine over RPC: while the engine
        # is not up yet it times out.
        return False


def reported_since(record, since):
    """Whether a service record was written at ``since`` (epoch) or later.

    A stopped service's record still reads "up" until its heartbeat is a
    minute old: right after a restart, that is the old process speaking.
    Taking it for the new one let a restarted nova-compute be called ready
    before it consumed its RPC queue; a boot sent then stayed BUILDING and
    the compute, once started, set it to ERROR.
    """
    if since is None:
        return True
    stamps = [record.get(key) for key in ('updated_at', 'created_at')]
    stamps = [datetime.datetime.fromisoformat(s.rstrip('Z'))
              for s in stamps if s]
    # The services write UTC without a zone.
    started = datetime.datetime.fromtimestamp(
        since, datetime.timezone.utc).replace(tzinfo=None)
    return bool(stamps) and max(stamps) >= started


def _up_records(sess, svc):
    if svc.rpc_binary == 'heat-engine':
        resp = sess.get('/services', raise_exc=False, timeout=5,
                        endpoint_filter={'service_type': 'orchestration',
                                         'interface': 'public'})
        if resp.status_code != 200:
            return []
        return [s for s in resp.json()['services']
                if s['binary'] == 'heat-engine' and s['status'] == 'up']
    resp = sess.get('/os-services?binary=%s&host=%s' % (svc.rpc_binary,
                                                         svc.rpc_host),
                    raise_exc=False, timeout=10,
                    endpoint_filter={'service_type': 'compute',
                                     'interface': 'public'})
    if resp.status_code != 200:
        return []
    return [s for s in resp.json()['services'] if s['state'] == 'up']


def discover_hosts(lay, sess):
    """Map the compute hosts into cell1 so the scheduler can pick them."""
    hosts = {e.host for e in lay.engines}
    for _ in range(60):
        _manage(lay, 'nova-manage.log', 'nova-manage', '--config-file',
                lay.conf('nova', 'nova.conf'), 'cell_v2', 'discover_hosts')
        resp = sess.get('/os-hypervisors', endpoint_filter={
            'service_type': 'compute', 'interface': 'public'})
        seen = {h['hypervisor_hostname'] for h in resp.json()['hypervisors']}
        seen |= {h.split('.')[0] for h in seen}
        if hosts <= seen:
            return
        time.sleep(1)
    raise RuntimeError('compute hosts %s never showed as hypervisors'
                       % sorted(hosts))


def build_local_images(lay):
    env = dict(os.environ, DOCKER_HOST=lay.engines[0].endpoint)
    subprocess.run([os.path.join(lay.bin, 'python'),
                    os.path.join(layout_mod.ROOT, 'tools', 'build_images.py')],
                   env=env, check=True, stdout=subprocess.DEVNULL,
                   timeout=300)


def upload_docker_image(lay, sess, name, ref, **properties):
    """``docker save`` a local image into Glance as container_format
    docker; nothing is uploaded when Glance already has the name.

    No ``docker_image`` property: that would tell the driver to use an
    engine-local image, which only the first engine has; without it every
    compute loads the tarball from Glance.
    """
    image_ep = {'service_type': 'image', 'interface': 'public'}
    found = sess.get('/v2/images?name=%s' % name,
                     endpoint_filter=image_ep).json()['images']
    if found and found[0]['status'] == 'active':
        return found[0]['id']
    for stale in found:
        sess.delete('/v2/images/%s' % stale['id'], endpoint_filter=image_ep)
    tarball = os.path.join(lay.data, 'upload-%s.tar' % name)
    subprocess.run(['docker', '-H', lay.engines[0].endpoint, 'save', '-o',
                    tarball, ref], check=True, timeout=300)
    try:
        body = dict(name=name, container_format='docker', disk_format='raw',
                    visibility='public', hypervisor_type='docker',
                    hw_architecture=os.uname().machine, **properties)
        image = sess.post('/v2/images', json=body,
                          endpoint_filter=image_ep).json()
        with open(tarball, 'rb') as data:
            sess.put('/v2/images/%s/file' % image['id'], data=data,
                     headers={'Content-Type': 'application/octet-stream'},
                     endpoint_filter=image_ep)
    finally:
        os.unlink(tarball)
    return image['id']


def content(lay, sess):
    compute = {'service_type': 'compute', 'interface': 'public'}
    have = {f['name'] for f in sess.get(
        '/flavors', endpoint_filter=compute).json()['flavors']}
    for name, ram, vcpus, disk in FLAVORS:
        if name not in have:
            sess.post('/flavors', endpoint_filter=compute, json={'flavor': {
                'name': name, 'ram': ram, 'vcpus': vcpus, 'disk': disk}})
    build_local_images(lay)
    for name, ref in SAMPLE_IMAGES.items():
        upload_docker_image(lay, sess, name, ref)
    public_network(sess)


def public_network(sess):
    """The external network ``public`` (flat, on the gateway chassis's
    br-ex), whose subnet is the outside namespace's 172.24.4.0/24: routers
    take their gateway and floating IPs from it."""
    net_ep = {'service_type': 'network', 'interface': 'public'}
    found = sess.get('/v2.0/networks?name=public',
                     endpoint_filter=net_ep).json()['networks']
    if found:
        network = found[0]
    else:
        network = sess.post('/v2.0/networks', endpoint_filter=net_ep, json={
            'network': {'name': 'public', 'router:external': True,
                        'provider:network_type': 'flat',
                        'provider:physical_network': ovn.PHYSNET}}
        ).json()['network']
    if not network['subnets']:
        first, last = ovn.PUBLIC_POOL
        sess.post('/v2.0/subnets', endpoint_filter=net_ep, json={'subnet': {
            'name': 'public-subnet', 'network_id': network['id'],
            'ip_version': 4, 'cidr': ovn.OUTSIDE_CIDR,
            'gateway_ip': ovn.OUTSIDE_GATEWAY, 'enable_dhcp': False,
            'allocation_pools': [{'start': first, 'end': last}]}})
    return network['id']


def stop_epmd(lay):
    port = lay.port('epmd')
    if not services.tcp_open(port):
        return
    env = dict(os.environ, ERL_EPMD_PORT=str(port))
    subprocess.run([services.EPMD, '-kill'], env=env, timeout=30,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

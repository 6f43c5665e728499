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

"""Start, check and stop the all-in-one cloud.

``start`` is idempotent: on a machine where the cloud already ran it reuses
the databases and keys (no second bootstrap), starts only what is not
running, and checks the health of everything. Each step's duration is kept
in ``logs/startup-times.json``.
"""

import concurrent.futures
import json
import os
import time

from tools.aio import bootstrap
from tools.aio import configs
from tools.aio import horizon
from tools.aio import mariadb
from tools.aio import metans
from tools.aio import ovn
from tools.aio import procs
from tools.aio import services
from tools.aio import shim as nova_shim

HEALTH_TIMEOUT = float(os.environ.get('AIO_HEALTH_TIMEOUT', '240'))


class StartError(Exception):
    pass


class Cloud:
    def __init__(self, lay, compute_driver=None, log=print):
        self.lay = lay
        self.compute_driver = compute_driver or os.environ.get(
            'AIO_COMPUTE_DRIVER') or configs.NOVA_COMPUTE_DRIVER
        self.log = log
        self.times = {}

    # -- helpers ---------------------------------------------------------

    def _timed(self, name, func, *args):
        t0 = time.monotonic()
        result = func(*args)
        self.times[name] = round(time.monotonic() - t0, 2)
        self.log('  %-28s %6.1f s' % (name, self.times[name]))
        return result

    def process(self, svc):
        return procs.Process(self.lay, svc.name)

    # -- start -----------------------------------------------------------

    def start(self):
        lay = self.lay
        if not os.access(services.RABBIT_SERVER, os.X_OK):
            raise StartError('%s is missing: install Debian\'s rabbitmq-server '
                             '(make aio-apt)' % services.RABBIT_SERVER)
        missing = mariadb.installed()
        if missing:
            raise StartError('%s missing: install Debian\'s mariadb-server '
                             '(make aio-apt)' % ', '.join(missing))
        if not os.access(bootstrap.UUIDD, os.X_OK):
            raise StartError('%s is missing: install Debian\'s uuid-runtime '
                             '(make aio-apt)' % bootstrap.UUIDD)
        missing = ovn.missing_binaries()
        if missing:
            raise StartError('%s missing: install Debian\'s ovn-central, '
                             'ovn-host, ethtool and haproxy (make aio-apt)'
                             % ', '.join(missing))
        lay.makedirs()
        self.times = {}
        t0 = time.monotonic()
        self.log('all-in-one under %s (logs in %s)' % (lay.base, lay.logs))
        self._timed('engines', bootstrap.start_engines, lay)
        self._timed('uuidd', self.ensure_uuidd)
        self._timed('configs', self.write_configs)
        waves = services.table(lay)
        backends, network, identity, apis, workers = waves
        self._timed('ovn databases and links', self._prepare_ovn)
        new_data = self._timed('mariadb, rabbitmq, ovsdb',
                               self._start_backends, backends)
        # A new data directory has no schemas yet, even in a folder that was
        # bootstrapped before (a cloud from before MariaDB, or one whose
        # data/mariadb was deleted): bootstrap again (every step is
        # idempotent).
        first = new_data or not os.path.exists(lay.bootstrapped_marker)
        self._timed('databases', mariadb.create_databases, lay)
        if first:
            self._timed('db sync', bootstrap.sync_databases, lay)
        self._timed('ovn', self._start_network, network)
        self._timed('keystone', self._start_wave, identity)
        session = bootstrap.admin_session(lay)
        if first:
            self._timed('identity bootstrap', bootstrap.identity, lay, session)
            # A token carries the catalog it was issued with: get one that
            # lists the endpoints just created.
            session = bootstrap.admin_session(lay)
        self._timed('dashboard settings and static files',
                    self.prepare_dashboard)
        self._timed('apis', self._start_wave, apis)
        if self.compute_driver == configs.NOVA_COMPUTE_DRIVER:
            self._timed('nova.virt shim', self.ensure_shim)
        self._timed('workers', self._start_wave, workers, session)
        self._timed('cell discovery', bootstrap.discover_hosts, lay, session)
        if first:
            self._timed('flavors, images, network', bootstrap.content, lay,
                        session)
            with open(lay.bootstrapped_marker, 'w') as f:
                f.write(time.strftime('%Y-%m-%dT%H:%M:%SZ\n', time.gmtime()))
        self.times['total'] = round(time.monotonic() - t0, 2)
        self.times['first_start'] = first
        with open(os.path.join(lay.logs, 'startup-times.json'), 'w') as f:
            json.dump(self.times, f, indent=1)
        self.log('all-in-one ready in %.1f s (%s start)' % (
            self.times['total'], 'first' if first else 'repeat'))
        return self.times

    def write_configs(self):
        services.write_rabbit_config(self.lay)
        mariadb.write_config(self.lay)
        return configs.write_all(
            self.lay, compute_driver=self.compute_driver,
            heat_plugin_dir=bootstrap.heat_plugin_dir())

    def _prepare_ovn(self):
        try:
            ovn.create_databases(self.lay)
            ovn.plumb(self.lay)
        except ovn.NetworkError as exc:
            raise StartError('the network side could not be set up: %s' % exc)

    def _start_network(self, wave):
        """ovn-northd, then each chassis's vswitchd and ovn-controller;
        ready once every chassis is in the southbound database."""
        lay = self.lay
        northd = [svc for svc in wave if svc.name == 'ovn-northd']
        try:
            ovn.configure_chassis(lay)
            # ovn-northd first, and the chassis only once it has written
            # the southbound database's global row (see
            # ovn.southbound_ready).
            self._start_wave(northd)
            self._wait(lambda: ovn.southbound_ready(lay),
                       "ovn-northd never wrote OVN's southbound database "
                       '(SB_Global); see %s/ovn-northd.log' % lay.logs)
            self._start_wave([svc for svc in wave if svc not in northd])
            ovn.address_underlay(lay)
        except ovn.NetworkError as exc:
            raise StartError('the network side could not start: %s' % exc)
        hosts = {e.host for e in lay.engines}
        for attempt in (1, 2):
            self._wait(lambda: hosts <= ovn.chassis_registered(lay),
                       lambda: 'chassis %s never registered in OVN\'s '
                       'southbound database; see %s/ovn-controller-*.log'
                       % (', '.join(sorted(hosts - ovn.chassis_registered(
                           lay))), lay.logs))
            # A chassis registers before its ovn-controller is done
            # starting: one that died since would leave its host's ports
            # unbound (servers stuck in BUILD). Start it again once, as a
            # service manager would; a second death stops the start.
            dead = [svc for svc in wave if not self.process(svc).running()]
            if not dead:
                return
            if attempt == 2:
                raise self._ovn_exited(dead[0])
            for svc in dead:
                self.log('%s exited during start (%s); starting it again'
                         % (svc.name, self._last_line(svc)))
            self._start_wave(dead)

    def _last_line(self, svc):
        lines = [x for x in self.process(svc).tail().splitlines()
                 if x.strip()]
        return lines[-1].strip() if lines else 'nothing logged'

    def _ovn_exited(self, svc):
        """The one-line StartError for an OVN daemon that exited during
        the start."""
        return StartError(
            'OVN is down: %s exited during start (%s); see %s, then python '
            '-m tools.aio start' % (svc.name, self._last_line(svc),
                                    self.process(svc).logfile))

    @staticmethod
    def _wait(check, what, timeout=None):
        """Until ``check()`` is true; StartError saying ``what`` (a string
        or a callable that makes one) after ``timeout`` seconds (default
        HEALTH_TIMEOUT)."""
        deadline = time.monotonic() + (timeout or HEALTH_TIMEOUT)
        while not check():
            if time.monotonic() > deadline:
                raise StartError(what() if callable(what) else what)
            time.sleep(0.2)

    def ensure_uuidd(self, timeout=10):
        """The host's uuidd (bootstrap.start_uuidd), answering."""
        if bootstrap.start_uuidd(timeout):
            self._wait(lambda: ovn.unix_open(bootstrap.UUIDD_SOCKET),
                       'uuidd did not answer on %s within %d s'
                       % (bootstrap.UUIDD_SOCKET, timeout), timeout)

    def prepare_dashboard(self):
        """Horizon's settings, heat-dashboard's panels and the compressed
        static files (built only when Horizon or the settings changed)."""
        if not horizon.installed():
            raise StartError('Horizon or heat-dashboard is missing from %s: '
                             'make setup' % self.lay.venv)
        try:
            return horizon.prepare(self.lay, services.base_env(self.lay),
                                   log=self.log)
        except horizon.DashboardError as exc:
            raise StartError('the dashboard could not be prepared: %s'
                             % exc)

    def ensure_shim(self):
        """nova-docker-shim check || install, before the computes start."""
        try:
            return nova_shim.ensure(self.lay, self.log)
        except nova_shim.ShimError as exc:
            raise StartError(str(exc))

    def _start_backends(self, wave):
        """MariaDB (its data directory made on the first start) and
        RabbitMQ. MariaDB's failures are one line: what is down, why, and
        where its log is. Returns True when it made the data directory."""
        lay = self.lay
        db = [svc for svc in wave if svc.name == 'mariadb']
        new_data = False
        if db and not self.process(db[0]).running():
            # A server killed a moment ago may hold its port while its
            # threads end (its main thread already a zombie).
            deadline = time.monotonic() + 10
            while (services.tcp_open(lay.port('mariadb'))
                   and time.monotonic() < deadline):
                time.sleep(0.2)
            if services.tcp_open(lay.port('mariadb')):
                raise StartError(
                    'MariaDB cannot listen on 127.0.0.1:%d: another process '
                    'holds the port (ss -ltnp sport = :%d); stop it or set '
                    'AIO_PORT_BASE' % ((lay.port('mariadb'),) * 2))
            try:
                new_data = mariadb.initialise(lay)
            except mariadb.MariaDBError as exc:
                raise StartError('MariaDB is down: %s' % exc)
        try:
            self._start_wave(wave)
        except StartError:
            if db and not self.healthy(db[0]):
                raise StartError(
                    'MariaDB is down: it did not start (%s); see %s, then '
                    'python -m tools.aio start'
                    % (mariadb.last_error(lay) or 'no error logged',
                       mariadb.Paths(lay).log))
            raise
        return new_data

    def _start_wave(self, wave, session=None):
        started = {}  # name -> epoch, for the processes started here
        for svc in wave:
            proc = self.process(svc)
            if not proc.running():
                _not_running_elsewhere(svc)
                if svc.kind == 'tcp' and services.tcp_open(svc.port):
                    raise StartError(
                        '%s%s cannot listen on 127.0.0.1:%d: another process '
                        'holds the port (ss -ltnp sport = :%d); stop it or '
                        'set AIO_PORT_BASE' % (
                            'OVN is down: ' if ovn.is_ovn(svc.name) else '',
                            svc.name, svc.port, svc.port))
                started[svc.name] = time.time()
                proc.start(svc.argv, env=services.service_env(self.lay, svc),
                           cwd=services.layout_mod.ROOT)
        deadline = time.monotonic() + HEALTH_TIMEOUT
        pending = list(wave)
        while pending:
            for svc in list(pending):
                if self.healthy(svc, session, since=started.get(svc.name)):
                    pending.remove(svc)
                    continue
                proc = self.process(svc)
                if not proc.running() and ovn.is_ovn(svc.name):
                    raise self._ovn_exited(svc)
                if not proc.running():
                    raise StartError('%s exited during start; last log lines '
                                     '(%s):\n%s' % (svc.name, proc.logfile,
                                                    proc.tail()))
            if not pending:
                break
            if time.monotonic() > deadline:
                raise StartError('not healthy within %ds: %s; see %s' % (
                    HEALTH_TIMEOUT, ', '.join(s.name for s in pending),
                    self.lay.logs))
            time.sleep(0.5)

    def healthy(self, svc, session=None, since=None):
        """since: when the process was started (an RPC service must have
        reported in after it)."""
        if svc.kind == 'tcp':
            return services.tcp_open(svc.port)
        if svc.kind == 'http':
            return bootstrap.http_ok(svc.port, svc.path)
        if svc.kind == 'unix':
            return ovn.unix_open(svc.path)
        if svc.kind == 'socket':
            # Octavia's driver agent forks a handler per connection that
            # spins on a peer that closes without sending: never connect.
            return (self.process(svc).running() and
                    services.socket_made(svc.path, since))
        if svc.kind == 'proc':
            return self.process(svc).running()
        return bootstrap.rpc_up(self.lay, session, svc, since)

    # -- status and stop -------------------------------------------------

    def database_down(self):
        """'' when the cloud's MariaDB answers, else one line saying that
        it is down and how to start it."""
        lay = self.lay
        svc = [s for s in services.all_services(lay) if s.name == 'mariadb'][0]
        if self.process(svc).running() and self.healthy(svc):
            return ''
        return ('MariaDB of the all-in-one is down (127.0.0.1:%d, data in '
                '%s): start it with python -m tools.aio start (or make run)'
                % (lay.port('mariadb'), mariadb.Paths(lay).datadir))

    def network_down(self):
        """'' when every OVN and Open vSwitch daemon of the cloud runs and
        answers, else one line naming those that do not and how to start
        them."""
        down = [s.name for s in services.all_services(self.lay)
                if ovn.is_ovn(s.name) and not (
                    self.process(s).running() and self.healthy(s))]
        if not down:
            return ''
        return ('OVN of the all-in-one is down (%s not running): start it '
                'with python -m tools.aio start (or make run)'
                % ', '.join(down))

    def status(self):
        session = None
        try:
            session = bootstrap.admin_session(self.lay, tries=1)
        except Exception:  # noqa: BLE001 - keystone down: report as such
            session = None
        report = []
        for svc in services.all_services(self.lay):
            proc = self.process(svc)
            running = proc.running()
            ok = False
            if running and (svc.kind != 'rpc' or session):
                try:
                    ok = self.healthy(svc, session)
                except Exception:  # noqa: BLE001
                    ok = False
            report.append((svc.name, proc.pid(), running, ok))
        return report

    def stop(self, engines=True, purge=False):
        """Stop every service in reverse start order; returns names stopped.

        engines: also stop the engines that live in the cloud's folder.
        purge: also delete the cloud's network namespaces (with the links
        in them); a later start makes them again.
        """
        stopped = []
        waves = services.table(self.lay)
        for wave in reversed(waves):
            with concurrent.futures.ThreadPoolExecutor(len(wave)) as pool:
                results = pool.map(lambda s: (s.name, self.process(s).stop()),
                                   wave)
                stopped += [name for name, was in results if was]
        # The metadata agents' haproxys are daemons of their own.
        for engine in self.lay.engines:
            stopped += ['haproxy %d' % pid for pid in metans.stop_proxies(
                services.metadata_pids(self.lay, engine.host))]
        bootstrap.stop_epmd(self.lay)
        # An engine that lives inside the cloud's folder belongs to the cloud
        # (the default second engine); the project's engine stays up.
        if engines:
            stopped += bootstrap.stop_own_engines(self.lay)
        if purge:
            stopped += ['netns ' + n for n in ovn.unplumb(self.lay)]
        return stopped


def _not_running_elsewhere(svc):
    """Refuse to start an RPC service that already runs without its pid
    file (started by hand): two copies would consume the same queues."""
    pids = procs.running_as(svc.signature) if svc.signature else []
    if pids:
        raise StartError(
            '%s already runs as pid %s without its pid file (started by '
            'hand?): stop it (kill %s) and start again'
            % (svc.name, ', '.join(map(str, pids)),
               ' '.join(map(str, pids))))

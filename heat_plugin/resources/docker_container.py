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

"""OS::Docker::Container (and the old DockerInc::Docker::Container name).

Every property of Heat's old contrib plugin keeps its name and meaning, plus
entrypoint, working_dir, labels, healthcheck, cpu_quota, pids_limit,
ulimits, networks, mounts and log_config. Create is non-blocking: the
Engine API work runs on the plugin's pool and check_create_complete polls,
so Heat creates a stack's containers side by side.
"""

import time

from heat.common import exception as heat_exception
from heat.engine import attributes
from heat.engine import constraints
from heat.engine import properties
from oslo_config import cfg

from heat_plugin import container_ops
from heat_plugin import container_spec
from heat_plugin import docker_client
from heat_plugin import exception
from heat_plugin import hosts
from heat_plugin import policy
from heat_plugin import resource_base
from heat_plugin import tasks

CONF = cfg.CONF
P = properties.Schema
A = attributes.Schema

CAPABILITIES = [
    'ALL', 'AUDIT_CONTROL', 'AUDIT_READ', 'AUDIT_WRITE', 'BLOCK_SUSPEND',
    'BPF', 'CHECKPOINT_RESTORE', 'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH',
    'FOWNER', 'FSETID', 'IPC_LOCK', 'IPC_OWNER', 'KILL', 'LEASE',
    'LINUX_IMMUTABLE', 'MAC_ADMIN', 'MAC_OVERRIDE', 'MKNOD', 'NET_ADMIN',
    'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_RAW', 'PERFMON', 'SETFCAP',
    'SETGID', 'SETPCAP', 'SETUID', 'SYSLOG', 'SYS_ADMIN', 'SYS_BOOT',
    'SYS_CHROOT', 'SYS_MODULE', 'SYS_NICE', 'SYS_PACCT', 'SYS_PTRACE',
    'SYS_RAWIO', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'WAKE_ALARM']
DEVICE_PATH = r'^/dev/[/_\-a-zA-Z0-9]+$'
NAME_PATTERN = r'^([a-zA-Z0-9][a-zA-Z0-9_.-]*)?$'

#: Properties Docker changes in place (rename / update API).
UPDATABLE = ('name', 'memory', 'cpu_shares', 'cpu_quota', 'cpu_period',
             'cpu_set', 'pids_limit', 'restart_policy')


def _list(desc, item=P.STRING, **kw):
    return P(P.LIST, desc, schema=P(item), **kw)


class DockerContainer(resource_base.DockerResource):
    """A Docker container placed on a registered host (or a named engine)."""

    properties_schema = dict(resource_base.ENDPOINT_SCHEMA)
    properties_schema.update({
        'name': P(P.STRING, 'Container name (default: a unique name made '
                  'from the stack and resource names).', update_allowed=True,
                  constraints=[constraints.AllowedPattern(NAME_PATTERN),
                               constraints.Length(max=128)]),
        'image': P(P.STRING, 'Image name.', required=True),
        'cmd': _list('Command to run.', default=[]),
        'entrypoint': _list('Entrypoint (overrides the image\'s).'),
        'working_dir': P(P.STRING, 'Working directory in the container.'),
        'env': _list('Environment variables, KEY=value.'),
        'labels': P(P.MAP, 'Labels of the container.'),
        'hostname': P(P.STRING, 'Hostname of the container.', default=''),
        'user': P(P.STRING, 'Username or UID.', default=''),
        'port_specs': _list('Ports to expose: N or N/tcp|udp|sctp.'),
        'port_bindings': P(P.MAP, 'Port bindings: {"80/tcp": host port | '
                           '"ip:port" | [..] | {HostIp, HostPort}}.'),
        'links': P(P.MAP, 'Links to other containers, name: alias.'),
        'volumes': P(P.MAP, 'Old-style volumes: {source: target | {bind, '
                     'ro}}; a container path with an empty value makes an '
                     'anonymous volume. Absolute sources are host binds.',
                     default={}),
        'binds': _list('Binds as source:target[:ro|rw]; absolute sources '
                       'are host binds (admin-only).'),
        'mounts': P(P.LIST, 'Mounts.', schema=P(P.MAP, schema={
            'type': P(P.STRING, 'volume, bind (admin-only) or tmpfs.',
                      default='volume', constraints=[
                          constraints.AllowedValues(
                              ['volume', 'bind', 'tmpfs'])]),
            'source': P(P.STRING, 'Volume name or host path.'),
            'target': P(P.STRING, 'Path in the container.', required=True),
            'read_only': P(P.BOOLEAN, 'Read only.', default=False),
        })),
        'volumes_from': _list('Mount all volumes of these containers.'),
        'dns': _list('Custom DNS servers.'),
        'restart_policy': P(
            P.MAP, 'Restart policy.', update_allowed=True, schema={
                'Name': P(P.STRING, 'What to do when the container exits.',
                          default='no', constraints=[constraints.AllowedValues(
                              ['no', 'on-failure', 'always',
                               'unless-stopped'])]),
                'MaximumRetryCount': P(P.INTEGER, 'Retries for on-failure.',
                                       default=0, constraints=[
                                           constraints.Range(min=0)]),
            }),
        'cap_add': _list('Capabilities to add (admin-only).',
                         constraints=[]),
        'cap_drop': _list('Capabilities to drop.'),
        'read_only': P(P.BOOLEAN, 'Mount the root filesystem read only.',
                       default=False),
        'privileged': P(P.BOOLEAN, 'Privileged mode (admin-only).',
                        default=False),
        'devices': P(P.LIST, 'Host devices (admin-only).', schema=P(
            P.MAP, schema={
                'path_on_host': P(P.STRING, 'Device path on the host.',
                                  required=True, constraints=[
                                      constraints.AllowedPattern(
                                          DEVICE_PATH)]),
                'path_in_container': P(P.STRING, 'Device path inside.',
                                       constraints=[
                                           constraints.AllowedPattern(
                                               DEVICE_PATH)]),
                'permissions': P(P.STRING, 'r, w, m combinations.',
                                 default='rwm', constraints=[
                                     constraints.AllowedValues(
                                         ['r', 'w', 'm', 'rw', 'rm', 'wm',
                                          'rwm'])]),
            })),
        'cpu_shares': P(P.INTEGER, 'Relative CPU weight.', default=0,
                        update_allowed=True,
                        constraints=[constraints.Range(min=0)]),
        'cpu_set': P(P.STRING, 'CPUs the container may use (0-3, 0,1).',
                     update_allowed=True, constraints=[
                         constraints.AllowedPattern(r'^[0-9,\-]+$')]),
        'cpu_quota': P(P.INTEGER, 'CFS quota in microseconds per '
                       'cpu_period (cpu_quota/cpu_period = CPUs; also what '
                       'the scheduler reserves).', update_allowed=True,
                       constraints=[constraints.Range(min=1000)]),
        'cpu_period': P(P.INTEGER, 'CFS period in microseconds.',
                        update_allowed=True, default=100000,
                        constraints=[constraints.Range(min=1000,
                                                       max=1000000)]),
        'memory': P(P.INTEGER, 'Memory limit in bytes (also what the '
                    'scheduler reserves).', update_allowed=True,
                    constraints=[constraints.Range(min=0)]),
        'pids_limit': P(P.INTEGER, 'Most processes in the container.',
                        update_allowed=True,
                        constraints=[constraints.Range(min=1)]),
        'ulimits': P(P.LIST, 'ulimits.', schema=P(P.MAP, schema={
            'name': P(P.STRING, 'nofile, nproc, ...', required=True),
            'soft': P(P.INTEGER, 'Soft limit.', required=True),
            'hard': P(P.INTEGER, 'Hard limit (default: soft).'),
        })),
        'tty': P(P.BOOLEAN, 'Allocate a pseudo-tty.', default=False),
        'open_stdin': P(P.BOOLEAN, 'Open stdin.', default=False),
        'stdin_once': P(P.BOOLEAN, 'Close stdin after the first attached '
                        'client disconnects.', default=False),
        'healthcheck': P(P.MAP, 'Health check; create completes when the '
                         'container is healthy.', schema={
                             'test': P(P.LIST, 'Command: [CMD, ...], '
                                       '[CMD-SHELL, "..."] or a list run as '
                                       'CMD.', required=True),
                             'interval': P(P.NUMBER, 'Seconds.', default=30),
                             'timeout': P(P.NUMBER, 'Seconds.', default=30),
                             'retries': P(P.INTEGER, 'Failures before '
                                          'unhealthy.', default=3),
                             'start_period': P(P.NUMBER, 'Seconds.',
                                               default=0),
                         }),
        'networks': P(P.LIST, 'Networks to join (names or ids, e.g. '
                      '{get_resource: net}).', schema=P(P.MAP, schema={
                          'network': P(P.STRING, 'Network name or id.',
                                       required=True),
                          'aliases': _list('DNS aliases on the network.'),
                          'ipv4_address': P(P.STRING, 'Fixed address.'),
                      })),
        'network_mode': P(P.STRING, 'bridge, none or host (admin-only).',
                          constraints=[constraints.AllowedValues(
                              ['bridge', 'none', 'host'])]),
        'pid_mode': P(P.STRING, 'host (admin-only).', constraints=[
            constraints.AllowedValues(['host'])]),
        'ipc_mode': P(P.STRING, 'private, shareable, none or host '
                      '(admin-only).', constraints=[
                          constraints.AllowedValues(
                              ['private', 'shareable', 'none', 'host'])]),
        'run_to_completion': P(
            P.BOOLEAN, 'A batch job: create completes when the process '
            'exits with code 0, and fails with the exit code and the end of '
            'the log when it exits with another code or is still running '
            'after completion_timeout; the container of a failed job is '
            'removed. Health checks do not apply; restart_policy must be '
            '"no".', default=False),
        'completion_timeout': P(
            P.INTEGER, 'Seconds a run_to_completion container may run, '
            'from the start of its create, before the create fails and the '
            'container is removed.', default=3600,
            constraints=[constraints.Range(min=1)]),
        'log_config': P(P.MAP, 'Logging.', schema={
            'type': P(P.STRING, 'Log driver (drivers that keep docker logs '
                      'working).', default='json-file', constraints=[
                          constraints.AllowedValues(
                              ['json-file', 'local', 'none'])]),
            'options': P(P.MAP, 'Driver options (max-size, max-file, ...).'),
        }),
    })
    # The cap lists take the old plugin's allowed values.
    for _key in ('cap_add', 'cap_drop'):
        properties_schema[_key] = P(
            P.LIST, properties_schema[_key].description,
            schema=P(P.STRING, constraints=[
                constraints.AllowedValues(CAPABILITIES)]))

    ATTRIBUTES = (
        INFO, NETWORK_INFO, NETWORK_IP, NETWORK_IPS, NETWORK_GATEWAY,
        NETWORK_TCP_PORTS, NETWORK_UDP_PORTS, PORTS, LOGS, LOGS_HEAD,
        LOGS_TAIL, STATUS, HEALTH, HOST, EXIT_CODE,
    ) = (
        'info', 'network_info', 'network_ip', 'network_ips',
        'network_gateway', 'network_tcp_ports', 'network_udp_ports', 'ports',
        'logs', 'logs_head', 'logs_tail', 'status', 'health', 'docker_host',
        'exit_code',
    )

    attributes_schema = resource_base.attribute_schemas({
        INFO: ('Container inspect data.', A.MAP),
        NETWORK_INFO: ('Network settings.', A.MAP),
        NETWORK_IP: ('First IP address.', A.STRING),
        NETWORK_IPS: ('IP address per network.', A.MAP),
        NETWORK_GATEWAY: ('Gateway of the first network.', A.STRING),
        NETWORK_TCP_PORTS: ('Published TCP host ports, comma separated.',
                            A.STRING),
        NETWORK_UDP_PORTS: ('Published UDP host ports, comma separated.',
                            A.STRING),
        PORTS: ('Published ports: {"80/tcp": [host ports]}.', A.MAP),
        LOGS: ('Container logs.', A.STRING),
        LOGS_HEAD: ('First log line.', A.STRING),
        LOGS_TAIL: ('Last log line.', A.STRING),
        STATUS: ('running, exited, paused, ...', A.STRING),
        HEALTH: ('healthy, unhealthy, starting or none.', A.STRING),
        HOST: ('Registered Docker host (or endpoint) the container runs on.',
               A.STRING),
        EXIT_CODE: ('Exit code of the process once it has exited (a '
                    'run_to_completion job: 0), else none.', A.INTEGER),
    })

    # Validation --------------------------------------------------------
    def policy_needs(self, props):
        return (super().policy_needs(props)
                + container_spec.host_exposure(props))

    def validate_values(self, props):
        super().validate_values(props)
        # Values from other resources are None until they exist; only
        # literal ones are checked here, all of them again at create.
        if props.get('image'):
            container_spec.build(props, {}, 'validate')
        self._validate_job(props)

    @staticmethod
    def _validate_job(props):
        if not props.get('run_to_completion'):
            return
        restart = (props.get('restart_policy') or {}).get('Name') or 'no'
        if restart != 'no':
            raise exception.InvalidProperty(
                field='restart_policy', reason='a run_to_completion '
                'container must not restart (restart_policy Name %s; use '
                '"no")' % restart)

    def _is_job(self):
        return bool(self.properties['run_to_completion'])

    # Create ------------------------------------------------------------
    def _container_name(self, props):
        return props.get('name') or self.physical_resource_name()

    def handle_create(self):
        props = self._props()
        try:
            # Again here: values from other resources are known only now.
            self.enforce_policy(props)
            vcpus, memory_mb = hosts.demand_of(props)
            name = self._container_name(props)
            # The demand is read back from HostConfig, which an in-place
            # update keeps current (labels could not be changed).
            labels = self.labels()
            create_kwargs, extra = container_spec.build(props, labels, name)
            networks = [n['network'] for n in props.get('networks') or []]
            volumes = [m['source'] for m in props.get('mounts') or []
                       if m.get('type', 'volume') == 'volume'
                       and m.get('source')]
            others = ([c.split(':')[0] for c in props.get('volumes_from')
                       or []] + list(props.get('links') or {}))
            engine = self.choose_engine(
                props, vcpus=vcpus, memory_mb=memory_mb,
                image=props['image'], networks=networks, volumes=volumes,
                containers=others)
            self._check_references(engine, props)
            self._validate_job(props)
        except exception.InvalidProperty as e:
            raise resource_base.validation_error(e) from None
        self.data_set('container_name', name)
        if props.get('run_to_completion'):
            # Wall clock of heat-engine, kept in resource data so a poll
            # from a reloaded resource (or another engine) sees it.
            self.data_set('job_deadline', repr(
                time.time() + props['completion_timeout']))
        return tasks.submit(self.task_key('create'),
                            container_ops.create_and_start, engine,
                            self.host_name(), create_kwargs, extra)

    def _check_references(self, engine, props):
        """Containers and networks of other projects are off limits.

        A container that mounts another project's volumes (volumes_from),
        links to its containers or joins its networks reaches its data;
        only what carries this project's label (or, for networks, no
        project label at all: the operator's) may be used.
        """
        project = self.context.project_id or ''
        refs = [('volumes_from', c.split(':')[0], engine.inspect)
                for c in props.get('volumes_from') or []]
        refs += [('links', c, engine.inspect)
                 for c in (props.get('links') or {})]
        refs += [('networks', n['network'], engine.inspect_network)
                 for n in props.get('networks') or []
                 if n['network'] not in ('bridge', 'none', 'host')]
        for field, ref, inspect in refs:
            try:
                found = inspect(ref)
            except exception.NotFound:
                raise exception.InvalidProperty(
                    field=field, reason='%s does not exist on Docker host %s'
                    % (ref, self.host_name())) from None
            labels = (found.get('Config') or found).get('Labels') or {}
            owner = labels.get(docker_client.LABEL_PROJECT)
            is_network = field == 'networks'
            if owner == project or (is_network and owner is None):
                continue
            policy.enforce(self.context, policy.FOREIGN, field,
                           'using %s of another project' % ref)

    # Tasks on the plugin's pool ----------------------------------------
    def _submit(self, action, fn, *args):
        """Run fn(engine, container, *args) as task ``action`` (None: no
        container, nothing to do)."""
        if not self.resource_id:
            return None
        return tasks.submit(self.task_key(action), fn, self.engine(),
                            self.resource_id, *args)

    @staticmethod
    def _after_task(key, then=None):
        """False while task ``key`` runs; then ``then(result)`` (True with
        no task or nothing to check)."""
        if key is None:
            return True
        finished, result = tasks.done(key)
        return finished and (then is None or then(result))

    def check_create_complete(self, key):
        finished, result = tasks.done(key)
        return finished and self._created(result)

    def _created(self, result):
        if result is not None:
            cid, self._started = result
            self.resource_id_set(cid)
        elif not self.resource_id:
            # The engine restarted mid-create: find the container by name.
            info = self.engine().inspect(self.data()['container_name'])
            self.resource_id_set(info['Id'])
        if self._is_job():
            return self._job_finished()
        return self._running_and_ready('being created')

    def _job_finished(self):
        """True once the job exited 0; a failure or timeout removes it."""
        engine = self.engine()
        info = engine.inspect(self.resource_id)
        state = info['State']
        name = self.data().get('container_name') or self.resource_id
        image = info['Config'].get('Image')
        lines = CONF.heat_docker.failure_log_lines
        if state.get('Running') or state.get('Status') == 'created':
            deadline = float(self.data().get('job_deadline') or 'inf')
            if time.time() < deadline:
                return False
            logs = container_ops.logs_tail(engine, self.resource_id, lines)
            container_ops.remove_quietly(engine, self.resource_id)
            raise exception.JobTimedOut(
                name=name, image=image, logs=logs,
                timeout=self.properties['completion_timeout'])
        code = state.get('ExitCode')
        if code == 0 and not state.get('OOMKilled'):
            return True
        logs = container_ops.logs_tail(engine, self.resource_id, lines)
        container_ops.remove_quietly(engine, self.resource_id)
        error = state.get('Error') or (
            'killed for lack of memory' if state.get('OOMKilled') else '')
        raise exception.JobFailed(name=name, image=image, code=code,
                                  error=' (%s)' % error if error else '',
                                  logs=logs)

    def _running_and_ready(self, while_, settle=True):
        engine = self.engine()
        info = engine.inspect(self.resource_id)
        state = info['State']
        name = self.data().get('container_name') or self.resource_id
        if not state.get('Running') or state.get('Restarting'):
            raise exception.ContainerExited(
                name=name, code=state.get('ExitCode'),
                state=state.get('Status'), while_=while_,
                logs=container_ops.logs_tail(
                    engine, self.resource_id,
                    CONF.heat_docker.failure_log_lines))
        health = (state.get('Health') or {})
        status = health.get('Status')
        started = getattr(self, '_started', None)
        # Without a health check, only time running tells a container that
        # stays up from one about to exit; a health check that passed says
        # more, so a container with one is not held the extra time.
        if settle and not status and started is not None and \
                time.monotonic() - started < CONF.heat_docker.settle_seconds:
            return False
        if status == 'starting':
            return False
        if status == 'unhealthy':
            log = health.get('Log') or [{}]
            raise exception.ContainerUnhealthy(
                name=name, while_=while_, image=info['Config'].get('Image'),
                output=(log[-1].get('Output') or '').strip()[-500:])
        return True

    # Delete ------------------------------------------------------------
    def handle_delete(self):
        target = self.resource_id or self.data().get('container_name')
        if not target:
            return None
        engine = self.engine()
        if engine is None:
            return None
        self.forget_usage()
        return tasks.submit(self.task_key('delete'),
                            container_ops.stop_and_remove, engine, target,
                            CONF.heat_docker.stop_timeout,
                            self.task_key('create'))

    def check_delete_complete(self, key):
        return self._after_task(key)

    # Suspend / resume / check -------------------------------------------
    def handle_suspend(self):
        if self._is_job():
            return None     # a finished job has nothing to stop
        return self._submit('suspend', container_ops.stop,
                            CONF.heat_docker.stop_timeout)

    def check_suspend_complete(self, key):
        return self._after_task(key, self._stopped)

    def _stopped(self, _result):
        state = self.engine().inspect(self.resource_id)['State']
        return not state.get('Running')

    def handle_resume(self):
        if self._is_job():
            return None     # starting it again would run the job again
        return self._submit('resume', container_ops.start)

    def check_resume_complete(self, key):
        return self._after_task(key, self._resumed)

    def _resumed(self, result):
        if result is not None:
            self._started = result
        return self._running_and_ready('resuming')

    def handle_check(self):
        try:
            info = self.engine().inspect(self.resource_id)
        except exception.NotFound:
            raise exception.ContainerNotRunning(
                name=self.resource_id, state='missing') from None
        state = info['State']
        if self._is_job():
            if state.get('Running') or state.get('ExitCode') != 0:
                raise exception.JobNotSucceeded(
                    name=self.data().get('container_name'),
                    state='%s (exit code %s)' % (state.get('Status'),
                                                 state.get('ExitCode')))
            return
        if not state.get('Running') or state.get('Paused'):
            raise exception.ContainerNotRunning(
                name=self.data().get('container_name'),
                state=state.get('Status'))
        if (state.get('Health') or {}).get('Status') == 'unhealthy':
            raise exception.ContainerUnhealthy(
                name=self.data().get('container_name'), while_='checked',
                image=info['Config'].get('Image'), output='')

    # Update ------------------------------------------------------------
    def handle_update(self, json_snippet, tmpl_diff, prop_diff):
        if not prop_diff:
            return
        new = dict(json_snippet.properties(self.properties_schema,
                                           self.context))
        engine = self.engine()
        if 'name' in prop_diff:
            name = self._container_name(new)
            engine.rename(self.resource_id, name)
            self.data_set('container_name', name)
        limit_keys = set(prop_diff) - {'name'}
        if limit_keys:
            removed = [k for k in limit_keys if new.get(k) in (None, {}, 0)
                       and k not in ('restart_policy', 'cpu_shares')]
            if removed:
                # Docker cannot drop a limit in place, only change it.
                raise heat_exception.UpdateReplace(self.name)
            try:
                wanted = container_spec.limits(new)
            except exception.InvalidProperty as e:
                raise resource_base.validation_error(e) from None
            if 'restart_policy' in prop_diff and 'RestartPolicy' not in \
                    wanted:
                wanted['RestartPolicy'] = {'Name': 'no',
                                           'MaximumRetryCount': 0}
            engine.update(self.resource_id, **wanted)
            self.forget_usage()

    # Attributes ----------------------------------------------------------
    def _resolve_attribute(self, name):
        if not self.resource_id:
            return None
        if name == self.HOST:
            return self.host_name()
        try:
            return self._live_attribute(name)
        except exception.NotFound:
            # Removed behind Heat's back: no value rather than an error.
            return None

    def _live_attribute(self, name):
        engine = self.engine()
        if name in (self.LOGS, self.LOGS_HEAD, self.LOGS_TAIL):
            text = engine.logs(self.resource_id)
            lines = text.rstrip('\n').split('\n') if text else ['']
            return {self.LOGS: text, self.LOGS_HEAD: lines[0],
                    self.LOGS_TAIL: lines[-1]}[name]
        info = engine.inspect(self.resource_id)
        net = info.get('NetworkSettings') or {}
        per_net = net.get('Networks') or {}
        if name == self.INFO:
            return info
        if name == self.NETWORK_INFO:
            return net
        if name == self.NETWORK_IPS:
            return {k: v.get('IPAddress') for k, v in per_net.items()}
        if name == self.NETWORK_IP:
            ips = [v.get('IPAddress') for v in per_net.values()
                   if v.get('IPAddress')]
            return net.get('IPAddress') or (ips[0] if ips else '')
        if name == self.NETWORK_GATEWAY:
            gws = [v.get('Gateway') for v in per_net.values()
                   if v.get('Gateway')]
            return net.get('Gateway') or (gws[0] if gws else '')
        ports = {k: [b.get('HostPort') for b in (v or [])]
                 for k, v in (net.get('Ports') or {}).items()}
        if name == self.PORTS:
            return ports
        if name in (self.NETWORK_TCP_PORTS, self.NETWORK_UDP_PORTS):
            proto = 'tcp' if name == self.NETWORK_TCP_PORTS else 'udp'
            return ','.join(p for k, v in sorted(ports.items())
                            if k.endswith('/' + proto) for p in v)
        state = info.get('State') or {}
        if name == self.STATUS:
            return state.get('Status')
        if name == self.HEALTH:
            return (state.get('Health') or {}).get('Status') or 'none'
        if name == self.EXIT_CODE:
            if state.get('Running') or state.get('Status') == 'created':
                return None
            return state.get('ExitCode')
        return None


def resource_mapping():
    return {
        'OS::Docker::Container': DockerContainer,
        # Templates written for Heat's old contrib plugin keep working.
        'DockerInc::Docker::Container': DockerContainer,
    }

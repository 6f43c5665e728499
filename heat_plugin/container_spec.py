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

"""Container properties -> Engine API create arguments, and what they ask of policy.

Pure functions on the resource's (validated) property values: no I/O, so the
translation and the tenant-safety analysis are unit-tested without Docker.
Every error names the template field at fault.
"""

import ipaddress
import re

from docker import types as docker_types

from heat_plugin import exception
from heat_plugin import policy

VOLUME_NAME = re.compile(r'^[a-zA-Z0-9][a-zA-Z0-9_.-]+$')
PORT = re.compile(r'^(\d{1,5})(?:/(tcp|udp|sctp))?$')
#: Docker refuses smaller memory limits.
MIN_MEMORY = 6 * 1024 * 1024
RESERVED_LABEL_PREFIX = 'org.openstack.heat'
NS = 1000000000


def _port_key(field, value):
    m = PORT.match(str(value).strip())
    if not m or not 0 < int(m.group(1)) < 65536:
        raise exception.InvalidProperty(
            field=field, reason='%r is not a port (N or N/tcp|udp|sctp)'
            % (value,))
    return '%s/%s' % (m.group(1), m.group(2) or 'tcp')


def _host_port(field, value):
    """One binding: 8080, '8080', '127.0.0.1:8080', {HostIp, HostPort}."""
    if isinstance(value, dict):
        ip = value.get('HostIp') or value.get('host_ip') or ''
        port = value.get('HostPort') or value.get('host_port') or ''
    else:
        text = str(value)
        ip, _sep, port = text.rpartition(':')
    if port != '' and not (str(port).isdigit() and 0 <= int(port) < 65536):
        raise exception.InvalidProperty(
            field=field, reason='%r is not a host port' % (value,))
    if ip:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise exception.InvalidProperty(
                field=field, reason='%r is not an IP address' % (ip,)
            ) from None
        return (ip, int(port)) if port != '' else (ip,)
    # '' asks Docker for a free host port.
    return int(port) if port != '' else ''


def port_bindings(field, value):
    out = {}
    for key, binding in (value or {}).items():
        ckey = _port_key(field, key)
        items = binding if isinstance(binding, list) else [binding]
        out[ckey] = [_host_port(field, b) for b in items]
    return out


def is_host_path(source):
    return isinstance(source, str) and source.startswith('/')


def _check_source(field, source):
    if is_host_path(source) or VOLUME_NAME.match(source or ''):
        return source
    raise exception.InvalidProperty(
        field=field, reason='%r is neither an absolute host path nor a '
        'volume name' % (source,))


def _check_target(field, target):
    if not isinstance(target, str) or not target.startswith('/'):
        raise exception.InvalidProperty(
            field=field, reason='%r is not an absolute path in the container'
            % (target,))
    return target


def binds(props):
    """All bind strings from ``volumes`` (old map form) and ``binds``.

    Returns (binds, anonymous container paths).
    """
    out, anonymous = [], []
    for source, spec in (props.get('volumes') or {}).items():
        field = 'volumes'
        if spec in (None, {}, ''):
            anonymous.append(_check_target(field, source))
            continue
        mode = 'rw'
        if isinstance(spec, dict):
            target = spec.get('bind')
            if spec.get('ro') or spec.get('mode') == 'ro':
                mode = 'ro'
        else:
            target = spec
        out.append('%s:%s:%s' % (_check_source(field, source),
                                 _check_target(field, target), mode))
    for text in props.get('binds') or []:
        parts = str(text).split(':')
        if len(parts) not in (2, 3) or (len(parts) == 3 and
                                        parts[2] not in ('ro', 'rw')):
            raise exception.InvalidProperty(
                field='binds', reason='%r is not source:target[:ro|rw]'
                % (text,))
        _check_source('binds', parts[0])
        _check_target('binds', parts[1])
        out.append(text if len(parts) == 3 else text + ':rw')
    return out, anonymous


def mounts(props):
    out = []
    for m in props.get('mounts') or []:
        kind = m.get('type') or 'volume'
        target = _check_target('mounts', m.get('target'))
        source = m.get('source')
        if kind == 'tmpfs':
            source = None
        elif kind == 'volume' and source:
            if not VOLUME_NAME.match(source):
                raise exception.InvalidProperty(
                    field='mounts', reason='%r is not a volume name'
                    % (source,))
        elif kind == 'bind':
            if not is_host_path(source):
                raise exception.InvalidProperty(
                    field='mounts', reason='a bind mount needs an absolute '
                    'host path as source, got %r' % (source,))
        out.append(docker_types.Mount(target, source, type=kind,
                                      read_only=bool(m.get('read_only'))))
    return out


def host_exposure(props):
    """(rule, field, what) for every host-reaching feature the props ask for."""
    needs = []
    if props.get('privileged'):
        needs.append((policy.PRIVILEGED, 'privileged', 'a privileged '
                      'container'))
    host_sources = [k for k, v in (props.get('volumes') or {}).items()
                    if v not in (None, {}, '') and is_host_path(k)]
    if host_sources:
        needs.append((policy.HOST_BINDS, 'volumes', 'a bind mount of a '
                      'host path'))
    if any(is_host_path(str(b).split(':')[0])
           for b in props.get('binds') or []):
        needs.append((policy.HOST_BINDS, 'binds', 'a bind mount of a host '
                      'path'))
    if any((m.get('type') == 'bind') for m in props.get('mounts') or []):
        needs.append((policy.HOST_BINDS, 'mounts', 'a bind mount of a host '
                      'path'))
    if props.get('devices'):
        needs.append((policy.DEVICES, 'devices', 'a host device'))
    if props.get('cap_add'):
        needs.append((policy.CAP_ADD, 'cap_add', 'adding capabilities'))
    if props.get('network_mode') == 'host':
        needs.append((policy.HOST_NETWORK, 'network_mode', 'the host '
                      'network'))
    if any(n.get('network') == 'host' for n in props.get('networks') or []):
        needs.append((policy.HOST_NETWORK, 'networks', 'the host network'))
    if props.get('pid_mode') == 'host':
        needs.append((policy.HOST_PID, 'pid_mode', 'the host pid '
                      'namespace'))
    if props.get('ipc_mode') == 'host':
        needs.append((policy.HOST_IPC, 'ipc_mode', 'the host ipc '
                      'namespace'))
    return needs


def healthcheck(value):
    if not value:
        return None
    test = value.get('test')
    if not test:
        raise exception.InvalidProperty(
            field='healthcheck', reason='test is required')
    if isinstance(test, str):
        test = ['CMD-SHELL', test]
    elif test[0] not in ('CMD', 'CMD-SHELL', 'NONE'):
        test = ['CMD'] + list(test)
    return docker_types.Healthcheck(
        test=test,
        interval=int((value.get('interval') or 30) * NS),
        timeout=int((value.get('timeout') or 30) * NS),
        retries=int(value.get('retries') or 3),
        start_period=int((value.get('start_period') or 0) * NS))


def restart_policy(value):
    if not value:
        return None
    name = value.get('Name') or 'no'
    if name == 'no':
        return {'Name': 'no', 'MaximumRetryCount': 0}
    return {'Name': name,
            'MaximumRetryCount': int(value.get('MaximumRetryCount') or 0)
            if name == 'on-failure' else 0}


def limits(props):
    """The limits Docker can change in place (Engine API update fields)."""
    out = {}
    memory = props.get('memory')
    if memory:
        if memory < MIN_MEMORY:
            raise exception.InvalidProperty(
                field='memory', reason='%d bytes is below Docker\'s minimum '
                'of %d' % (memory, MIN_MEMORY))
        out['Memory'] = memory
        # No swap beyond the limit: a later update may raise or lower the
        # limit freely (Docker refuses Memory > an older MemorySwap).
        out['MemorySwap'] = memory
    if props.get('cpu_shares'):
        out['CpuShares'] = props['cpu_shares']
    if props.get('cpu_quota'):
        out['CpuQuota'] = props['cpu_quota']
        out['CpuPeriod'] = props.get('cpu_period') or 100000
    if props.get('cpu_set'):
        out['CpusetCpus'] = props['cpu_set']
    if props.get('pids_limit'):
        out['PidsLimit'] = props['pids_limit']
    rp = restart_policy(props.get('restart_policy'))
    if rp:
        out['RestartPolicy'] = rp
    return out


def _networks(props):
    """(network_mode, first network endpoint config, extra networks)."""
    nets = props.get('networks') or []
    mode = props.get('network_mode')
    if nets and mode:
        raise exception.InvalidProperty(
            field='networks', reason='give networks or network_mode, not '
            'both')
    if not nets:
        return mode, None, []
    configs = []
    for n in nets:
        net = n.get('network')
        if not net:
            raise exception.InvalidProperty(
                field='networks', reason='each entry needs a network')
        ep = {}
        if n.get('aliases'):
            ep['aliases'] = list(n['aliases'])
        if n.get('ipv4_address'):
            try:
                ipaddress.IPv4Address(n['ipv4_address'])
            except ValueError:
                raise exception.InvalidProperty(
                    field='networks', reason='%r is not an IPv4 address'
                    % (n['ipv4_address'],)) from None
            ep['ipv4_address'] = n['ipv4_address']
        configs.append((net, ep))
    return configs[0][0], configs[0], configs[1:]


def build(props, labels, name, api_version='1.41'):
    """Create arguments for APIClient.create_container, plus extra networks.

    Returns (create_kwargs, [(network, connect_kwargs), ...]).
    """
    for key in props.get('labels') or {}:
        if key.startswith(RESERVED_LABEL_PREFIX):
            raise exception.InvalidProperty(
                field='labels', reason='%r is reserved for the plugin' % key)
    for ip in props.get('dns') or []:
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise exception.InvalidProperty(
                field='dns', reason='%r is not an IP address' % (ip,)
            ) from None
    bind_list, anonymous = binds(props)
    ports = [_port_key('port_specs', p) for p in props.get('port_specs') or []]
    bindings = port_bindings('port_bindings', props.get('port_bindings'))
    exposed = sorted(set(ports) | set(bindings))
    lim = limits(props)
    mode, first, extra = _networks(props)
    devices = ['%s:%s:%s' % (d['path_on_host'],
                             d.get('path_in_container') or d['path_on_host'],
                             d.get('permissions') or 'rwm')
               for d in props.get('devices') or []]
    ulimits = [docker_types.Ulimit(name=u['name'], soft=u['soft'],
                                   hard=u.get('hard', u['soft']))
               for u in props.get('ulimits') or []]
    log = props.get('log_config') or {}
    host_config = docker_types.HostConfig(
        version=api_version,
        binds=bind_list or None,
        port_bindings=bindings or None,
        links=props.get('links') or None,
        privileged=bool(props.get('privileged')),
        dns=props.get('dns') or None,
        volumes_from=props.get('volumes_from') or None,
        network_mode=mode,
        cap_add=props.get('cap_add') or None,
        cap_drop=props.get('cap_drop') or None,
        devices=devices or None,
        read_only=bool(props.get('read_only')),
        mounts=mounts(props) or None,
        ulimits=ulimits or None,
        log_config=(docker_types.LogConfig(type=log.get('type'),
                                           config=log.get('options') or {})
                    if log.get('type') else None),
        pid_mode=props.get('pid_mode') or None,
        ipc_mode=props.get('ipc_mode') or None,
    )
    # Limits go in raw: the same field names as the update call, so create
    # and in-place update cannot drift apart.
    host_config.update(lim)
    networking = None
    if first:
        networking = {'EndpointsConfig': {first[0]: _endpoint(first[1])}}
    all_labels = dict(props.get('labels') or {})
    all_labels.update(labels)
    kwargs = dict(
        image=props['image'],
        command=props.get('cmd') or None,
        entrypoint=props.get('entrypoint') or None,
        working_dir=props.get('working_dir') or None,
        hostname=props.get('hostname') or None,
        user=props.get('user') or None,
        environment=props.get('env') or None,
        tty=bool(props.get('tty')),
        stdin_open=bool(props.get('open_stdin')),
        stdin_once=bool(props.get('stdin_once')),
        ports=exposed or None,
        volumes=anonymous or None,
        labels=all_labels,
        healthcheck=healthcheck(props.get('healthcheck')),
        host_config=host_config,
        networking_config=networking,
        name=name,
    )
    extra_networks = [(net, {'aliases': ep.get('aliases'),
                             'ipv4_address': ep.get('ipv4_address')})
                      for net, ep in extra]
    return kwargs, extra_networks


def _endpoint(ep):
    out = {}
    if ep.get('aliases'):
        out['Aliases'] = ep['aliases']
    if ep.get('ipv4_address'):
        out['IPAMConfig'] = {'IPv4Address': ep['ipv4_address']}
    return out

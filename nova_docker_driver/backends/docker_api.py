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

"""The Docker Engine API backend (docker SDK, low-level client).

The only module of the driver that imports ``docker``. Engine errors are
turned into the driver's exceptions here, with the endpoint in the text.
"""

import io
import json
import tarfile
import threading

from docker import errors as docker_errors
import requests

from docker_layer import client as layer_client
from docker_layer import compat as layer_compat
from docker_layer import errors as layer_errors
from docker_layer import tty as layer_tty
from nova_docker_driver.backends import base
from nova_docker_driver import exception

# The oldest Engine API this backend speaks (Docker 20.10, Debian 12).
MIN_API_VERSION = layer_client.MIN_API_VERSION
# In the engine's refusal of a disk quota it cannot enforce.
_STORAGE_OPT = '--storage-opt'


def _state(raw):
    state = raw.get('State') or {}
    return base.ContainerState(
        id=raw['Id'], name=raw.get('Name', '').lstrip('/'),
        status=state.get('Status', 'unknown'),
        labels=(raw.get('Config') or {}).get('Labels') or {},
        pid=state.get('Pid') or 0, exit_code=state.get('ExitCode') or 0,
        image=raw.get('Image', ''), started_at=state.get('StartedAt', ''),
        finished_at=_ended(state.get('FinishedAt')),
        oom_killed=bool(state.get('OOMKilled')),
        health=(state.get('Health') or {}).get('Status') or '',
        health_output=_last_check(state.get('Health')))


def _last_check(health):
    log = (health or {}).get('Log') or [{}]
    return (log[-1].get('Output') or '').strip()[-500:]


def _ended(stamp):
    # The engine says 0001-01-01T00:00:00Z for a process that never ended.
    return '' if not stamp or stamp.startswith('0001-') else stamp


class _EventStream:
    """Engine events in the backend's terms; close() ends the iteration."""

    def __init__(self, stream):
        self._stream = stream

    def __iter__(self):
        try:
            for raw in self._stream:
                actor = raw.get('Actor') or {}
                yield {'id': actor.get('ID') or raw.get('id'),
                       'action': raw.get('Action') or raw.get('status'),
                       'labels': actor.get('Attributes') or {},
                       'time': raw.get('time')}
        except (requests.exceptions.RequestException, OSError, ValueError,
                AttributeError):
            # Closed from another thread, a read timeout or a dead engine:
            # the stream simply ends; the watcher decides what next.
            return

    def close(self):
        try:
            self._stream.close()
        except Exception:  # closing a broken stream may fail; it is gone
            pass


class _Errors(layer_errors.ErrorMap):
    """The driver's names for the engine's failures."""

    def __init__(self, endpoint):
        self.endpoint = endpoint

    def invalid_config(self, action, exc):
        if isinstance(exc, layer_errors.TLS_INVALID):
            return exception.TLSConfigInvalid(reason=exc)
        return exception.EngineUnavailable(
            endpoint=self.endpoint, reason='[docker] endpoint: %s' % exc)

    def unavailable(self, action, exc):
        return exception.EngineUnavailable(endpoint=self.endpoint,
                                           reason=exc)

    def not_found(self, action, exc):
        # The methods below turn a missing object into None or nothing.
        return exc

    def api_error(self, action, exc):
        return exception.EngineError(action=action,
                                     reason=layer_errors.reason(exc))


class DockerAPIBackend(base.EngineBackend):

    def __init__(self, conf):
        self._conf = conf.docker
        self._lock = threading.Lock()
        self._client = None

    # -- connection -------------------------------------------------------

    def endpoint(self):
        return layer_client.endpoint_of(self._conf)

    def is_local(self):
        return self.endpoint().startswith('unix://')

    def _tls(self):
        files = layer_client.tls_of(self._conf, self.endpoint())
        return files.config() if files else False

    @property
    def api(self):
        # Built on first use: nova-compute must start even while the
        # engine is down, and report the engine as unavailable.
        with self._lock:
            if self._client is None:
                self._client = self._call(
                    'connect', layer_client.from_conf, self._conf,
                    version=MIN_API_VERSION, max_pool_size=64)
            return self._client

    def _call(self, action, func, *args, **kwargs):
        return layer_errors.call(_Errors(self.endpoint()), action, func,
                                 *args, **kwargs)

    # -- engine -----------------------------------------------------------

    def version(self):
        return self._call('version', self.api.version)

    def info(self):
        return self._call('info', self.api.info)

    # -- containers -------------------------------------------------------

    def list_containers(self, labels):
        filters = {'label': ['%s=%s' % kv for kv in sorted(labels.items())]}
        found = self._call('list containers', self.api.containers,
                           all=True, filters=filters)
        # The list carries state and labels; no inspect per container.
        return [base.ContainerState(
            id=c['Id'], name=(c.get('Names') or [''])[0].lstrip('/'),
            status=c.get('State', 'unknown'), labels=c.get('Labels') or {},
            image=c.get('ImageID', '')) for c in found]

    def inspect_raw(self, container_id):
        try:
            return self._call('inspect container',
                              self.api.inspect_container, container_id)
        except docker_errors.NotFound:
            return None

    def inspect(self, container_id):
        raw = self.inspect_raw(container_id)
        return _state(raw) if raw else None

    def _host_config(self, limits, readonly_binds=None, dns_servers=None,
                     dns_search=None):
        api = self.api
        kwargs = dict(
            binds={host: {'bind': inside, 'mode': 'ro'}
                   for host, inside in (readonly_binds or {}).items()},
            # The driver wires networking itself (veths into the netns).
            network_mode='none',
            mem_limit=limits.memory_bytes,
            # No swap: memory_mb is a hard limit, as on a VM.
            memswap_limit=limits.memory_bytes,
            cpu_quota=limits.cpu_quota_us, cpu_period=limits.cpu_period_us,
            cpu_shares=limits.cpu_shares,
            pids_limit=limits.pids_limit,
            # Tenants never get more than the image's user: no privileged
            # mode, no host devices or binds, no setuid escalation.
            privileged=False, security_opt=['no-new-privileges'],
            restart_policy={'Name': 'no'})
        if limits.cpuset_cpus:
            kwargs['cpuset_cpus'] = limits.cpuset_cpus
        if limits.disk_bytes:
            kwargs['storage_opt'] = {'size': str(limits.disk_bytes)}
        if dns_servers:
            # The engine writes them into the container's resolv.conf.
            kwargs['dns'] = list(dns_servers)
        if dns_search:
            kwargs['dns_search'] = list(dns_search)
        return api.create_host_config(**kwargs)

    def create(self, spec):
        api = self.api
        action = 'create container %s' % spec.name
        try:
            created = self._call(
                action, api.create_container,
                image=spec.image, name=spec.name, labels=spec.labels,
                hostname=spec.hostname[:63] if spec.hostname else None,
                command=spec.command, environment=spec.environment,
                network_disabled=False, detach=True,
                host_config=self._host_config(spec.limits,
                                              spec.readonly_binds,
                                              spec.dns_servers,
                                              spec.dns_search))
        except exception.EngineError as exc:
            # Docker names the option it cannot honour ("--storage-opt is
            # supported only for overlay over xfs with 'pquota' ...").
            if spec.limits.disk_bytes and _STORAGE_OPT in str(exc):
                raise exception.DiskQuotaRefused(action=action,
                                                 reason=exc.kwargs['reason'])
            raise
        return created['Id']

    def start(self, container_id):
        self._call('start container', self.api.start, container_id)

    def stop(self, container_id, timeout):
        self._call('stop container', self.api.stop, container_id,
                   timeout=timeout)

    def kill(self, container_id):
        self._call('kill container', self.api.kill, container_id)

    def pause(self, container_id):
        self._call('pause container', self.api.pause, container_id)

    def unpause(self, container_id):
        self._call('unpause container', self.api.unpause, container_id)

    def remove(self, container_id):
        try:
            self._call('remove container', self.api.remove_container,
                       container_id, force=True, v=True)
        except docker_errors.NotFound:
            pass

    def update_limits(self, container_id, limits):
        body = {
            'Memory': limits.memory_bytes,
            'MemorySwap': limits.memory_bytes,
            'CpuQuota': limits.cpu_quota_us,
            'CpuPeriod': limits.cpu_period_us,
            'CpuShares': limits.cpu_shares,
            'PidsLimit': limits.pids_limit,
            'CpusetCpus': limits.cpuset_cpus,
        }
        self._call('update container limits', layer_compat.update_container,
                   self.api, container_id, body)

    def logs(self, container_id, max_bytes):
        # Lines are unknown in advance: ask for a generous tail, then cut
        # to the byte bound so a chatty container cannot flood the API.
        data = self._call('read logs', self.api.logs, container_id,
                          stdout=True, stderr=True, tail=max(100,
                                                             max_bytes // 8))
        return data[-max_bytes:]

    def stats(self, container_id):
        return self._call('read stats', self.api.stats, container_id,
                          stream=False)

    def put_archive(self, container_id, path, data):
        self._call('copy files into container', self.api.put_archive,
                   container_id, path, data)

    def get_file(self, container_id, path):
        try:
            stream, _stat = self._call('read file', self.api.get_archive,
                                       container_id, path)
        except docker_errors.NotFound:
            return None
        buf = io.BytesIO(b''.join(stream))
        with tarfile.open(fileobj=buf) as tar:
            for member in tar.getmembers():
                if member.isfile():
                    return tar.extractfile(member).read()
        return None

    def open_tty(self, container_id, command):
        action = 'open a terminal'
        try:
            return self._call(action, layer_tty.open_tty, self.api,
                              container_id, list(command),
                              local=self.is_local())
        except docker_errors.NotFound as exc:
            raise exception.EngineError(action=action,
                                        reason=layer_errors.reason(exc))

    def container_events(self, labels, actions, since=None):
        filters = {'type': 'container', 'event': list(actions),
                   'label': ['%s=%s' % kv for kv in sorted(labels.items())]}
        stream = self._call('watch events', self.api.events,
                            filters=filters, decode=True, since=since)
        return _EventStream(stream)

    # -- images -----------------------------------------------------------

    def image_id(self, ref):
        try:
            return self._call('inspect image', self.api.inspect_image,
                              ref)['Id']
        except docker_errors.NotFound:
            return None

    def repository_tags(self, repository):
        found = self._call('list images', self.api.images,
                           name=repository)
        tags = {}
        for image in found:
            for repo_tag in image.get('RepoTags') or []:
                repo, _, tag = repo_tag.rpartition(':')
                if repo == repository:
                    tags[tag] = image['Id']
        return tags

    def image_ids_in_use(self):
        found = self._call('list containers', self.api.containers, all=True)
        return {c.get('ImageID') for c in found if c.get('ImageID')}

    def image_config(self, ref):
        return self._call('inspect image', self.api.inspect_image,
                          ref).get('Config') or {}

    def load_image(self, fileobj):
        loaded = None
        for message in self._call('load image', self.api.load_image,
                                  fileobj):
            if isinstance(message, (bytes, str)):
                message = json.loads(message)
            if message.get('error') or message.get('errorDetail'):
                raise exception.EngineError(
                    action='load image', reason=message.get('error') or
                    message['errorDetail'].get('message'))
            text = message.get('stream', '')
            if 'Loaded image ID:' in text:
                loaded = text.split('Loaded image ID:', 1)[1].strip()
        if not loaded:
            raise exception.EngineError(action='load image',
                                        reason='the engine loaded no image')
        return loaded

    def tag_image(self, image_id, repository, tag):
        self._call('tag image', self.api.tag, image_id, repository, tag,
                   force=True)

    def remove_image(self, ref):
        try:
            self._call('remove image', self.api.remove_image, ref,
                       noprune=False)
        except docker_errors.NotFound:
            pass

    def commit(self, container_id, repository, tag):
        result = self._call('commit container', self.api.commit,
                            container_id, repository=repository, tag=tag,
                            pause=True)
        return result['Id']

    def save_image(self, ref):
        return self._call('save image', self.api.get_image, ref,
                          chunk_size=1024 * 1024)

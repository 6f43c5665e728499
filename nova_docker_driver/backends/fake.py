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

"""An engine backend that keeps everything in memory.

For tests and development without a Docker engine or root: select it with
``[docker] backend = fake``. Containers, images, tags, limits, files copied
in, logs, stats and events live in this object; nothing touches the host.

It follows the engine's rules where the driver depends on them (only a
running container pauses, a missing one removes without error, an image in
use keeps its id), a little stricter where that keeps the driver honest (a
paused container must be thawed before it is stopped or killed), and
answers in the interface's terms: ``EngineUnavailable`` while the engine is
"down", ``EngineError`` for a refusal.

Faults are injected per operation (the ``EngineBackend`` method name):

    backend.fail('create', backend.refused('no space left'))
    backend.fail('start', backend.unavailable(), times=1)
    backend.set_available(False)     # every call: EngineUnavailable

Seeded images stand in for ``docker build``/``docker import``:

    backend.add_image('dos/idle:latest', config={'User': 'app'},
                      files={'/etc/passwd': b'root:x:0:0::/root:/bin/sh'})

and a test reads or changes the engine behind the driver's back with
``containers()``, ``spec_of()``, ``limits_of()``, ``files_of()``,
``write_log()``, ``exit()``, ``set_status()``, ``events()`` and ``calls``.
"""

import base64
import copy
import dataclasses
import hashlib
import io
import itertools
import json
import posixpath
import socket
import tarfile
import threading
import time

from nova_docker_driver.backends import base
from nova_docker_driver import exception

ENDPOINT = 'fake://engine'

DEFAULT_INFO = {
    'NCPU': 4, 'MemTotal': 8 * 1024 ** 3, 'Driver': 'overlay2',
    'DriverStatus': [['Backing Filesystem', 'extfs']],
    'DockerRootDir': '/var/lib/docker', 'OperatingSystem': 'fake',
}
DEFAULT_VERSION = {'Version': '20.10.24', 'ApiVersion': '1.41',
                   'Arch': 'amd64', 'Os': 'linux'}


def _digest(data):
    return 'sha256:' + hashlib.sha256(data).hexdigest()


def _split_ref(ref):
    """'repo:tag' -> (repo, tag); a bare repository means 'latest'."""
    repo, sep, tag = ref.rpartition(':')
    if not sep or '/' in tag:
        return ref, 'latest'
    return repo, tag


class _Container:

    def __init__(self, cid, spec, image_id):
        self.id = cid
        self.spec = spec
        self.image_id = image_id
        self.limits = copy.deepcopy(spec.limits)
        self.status = 'created'
        self.pid = 0
        self.exit_code = 0
        self.started_at = '0001-01-01T00:00:00Z'
        self.finished_at = ''
        self.files = {}
        self.logs = b''
        #: The engine ends of this container's open terminals.
        self.ttys = []

    def state(self):
        return base.ContainerState(
            id=self.id, name=self.spec.name, status=self.status,
            labels=dict(self.spec.labels), pid=self.pid,
            exit_code=self.exit_code, image=self.image_id,
            started_at=self.started_at, finished_at=self.finished_at)


class _EventStream:
    """Events recorded by the backend (from ``since`` on, else from now),
    until closed or the engine goes away; iterating blocks while there is
    nothing new. What happened before the engine went is still delivered."""

    def __init__(self, backend, labels, actions, since):
        self._backend = backend
        self._labels = labels
        self._actions = set(actions)
        self._since = since
        self._closed = False
        self._position = 0 if since is not None else len(backend._events)

    def _wanted(self, event):
        return (event['action'] in self._actions and
                (self._since is None or event['time'] >= self._since) and
                all(event['labels'].get(k) == v
                    for k, v in self._labels.items()))

    def __iter__(self):
        backend = self._backend
        while True:
            with backend._changed:
                while (not self._closed and backend._available and
                       self._position >= len(backend._events)):
                    backend._changed.wait()
                pending = backend._events[self._position:]
                self._position = len(backend._events)
                if self._closed or not (pending or backend._available):
                    return
            for event in pending:
                if self._closed:
                    return
                if self._wanted(event):
                    yield dict(event, labels=dict(event['labels']))

    def close(self):
        with self._backend._changed:
            self._closed = True
            self._backend._changed.notify_all()


class FakeBackend(base.EngineBackend):
    """The ``fake`` backend: an engine in memory."""

    def __init__(self, conf=None, local=False):
        #: True: host paths are the engine's (config drive bind-mounted).
        self.local = local
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._available = True
        self._faults = {}
        self._containers = {}
        self._images = {}        # image id -> {'config': {}, 'files': {}}
        self._tags = {}          # 'repo:tag' -> image id
        self._events = []
        self._ids = itertools.count(1)
        self._pids = itertools.count(1000)
        #: Every interface call, in order: (method name, positional args).
        self.calls = []
        #: (container id, argv) of every terminal opened.
        self.tty_commands = []
        self.info_data = copy.deepcopy(DEFAULT_INFO)
        self.version_data = dict(DEFAULT_VERSION)

    # -- faults -------------------------------------------------------------

    def unavailable(self, reason='connection refused'):
        """The error a call gets while the engine is down."""
        return exception.EngineUnavailable(endpoint=ENDPOINT, reason=reason)

    @staticmethod
    def refused(reason, action='the request'):
        """The error of an engine that answers no."""
        return exception.EngineError(action=action, reason=reason)

    def fail(self, operation, error, times=None, after=0):
        """Make ``operation`` raise ``error``: ``times`` calls (or every
        one), once ``after`` calls have gone through."""
        if not hasattr(base.EngineBackend, operation):
            raise ValueError('%s is not an EngineBackend method' % operation)
        with self._lock:
            self._faults[operation] = [error, times, after]

    def clear_faults(self):
        with self._lock:
            self._faults.clear()

    def set_available(self, available):
        """Take the engine away (every call fails) or bring it back. Open
        event streams end when it goes, as the real engine's do."""
        with self._changed:
            self._available = available
            self._changed.notify_all()

    def _enter(self, operation, *args):
        with self._lock:
            self.calls.append((operation, args))
            if not self._available:
                raise self.unavailable()
            fault = self._faults.get(operation)
            if fault is None:
                return
            error, times, after = fault
            if after:
                fault[2] -= 1
                return
            if times is not None:
                fault[1] -= 1
                if fault[1] <= 0:
                    del self._faults[operation]
            raise error

    # -- engine state for tests -----------------------------------------------

    def add_image(self, ref, config=None, files=None):
        """An image in the engine, tagged ``ref``; returns its id.

        ``files``: {absolute path: bytes} its containers start with (an
        /etc/passwd, say).
        """
        body = json.dumps({'ref': ref, 'config': config or {},
                           'files': sorted(files or {})},
                          sort_keys=True).encode()
        image_id = _digest(body)
        with self._lock:
            self._images[image_id] = {'config': dict(config or {}),
                                      'files': dict(files or {})}
            self._tags['%s:%s' % _split_ref(ref)] = image_id
        return image_id

    def containers(self):
        """Every container's ContainerState, whoever made it."""
        with self._lock:
            return [c.state() for c in self._containers.values()]

    def limits_of(self, container_id):
        with self._lock:
            return copy.deepcopy(self._container(container_id,
                                                 'read limits').limits)

    def spec_of(self, container_id):
        with self._lock:
            return copy.deepcopy(self._container(container_id,
                                                 'read spec').spec)

    def files_of(self, container_id):
        """{absolute path: bytes}: the image's files and those copied in."""
        with self._lock:
            return dict(self._container(container_id, 'read files').files)

    def write_log(self, container_id, data):
        with self._lock:
            self._container(container_id, 'write logs').logs += data

    def exit(self, container_id, exit_code=0):
        """The container's process ends by itself (an exit or a crash)."""
        with self._lock:
            c = self._container(container_id, 'exit')
            if c.status not in ('running', 'paused'):
                raise self.refused('container %s is not running' %
                                   container_id, 'exit')
            self._end(c, exit_code)

    def restart(self):
        """The engine restarts while it is away (``set_available(False)``):
        its shut-down stopped every container (the driver's restart policy
        is 'no') and, as a real engine, it forgot every event before."""
        with self._changed:
            for c in self._containers.values():
                if c.status in ('running', 'paused', 'restarting'):
                    self._end(c, 0)
            self._events.clear()

    def set_status(self, container_id, status):
        """Force an engine status (dead, restarting, removing...)."""
        with self._lock:
            c = self._container(container_id, 'set status')
            c.status = status
            c.pid = (c.pid or next(self._pids)) if status in (
                'running', 'paused', 'restarting') else 0

    def events(self):
        with self._lock:
            return [dict(e) for e in self._events]

    # -- internals -------------------------------------------------------------

    def _record(self, container, action):
        with self._changed:
            self._events.append({'id': container.id, 'action': action,
                                 'labels': dict(container.spec.labels),
                                 'time': int(time.time())})
            self._changed.notify_all()

    def _container(self, container_id, action):
        c = self._containers.get(container_id)
        if c is None:
            matches = [c for cid, c in self._containers.items()
                       if cid.startswith(container_id) or
                       c.spec.name == container_id]
            c = matches[0] if len(matches) == 1 else None
        if c is None:
            raise self.refused('no such container: %s' % container_id,
                               action)
        return c

    def _resolve_image(self, ref):
        if ref in self._images:
            return ref
        if ref.startswith('sha256:'):
            return None
        return self._tags.get('%s:%s' % _split_ref(ref))

    def _end(self, c, exit_code):
        # The engine kills exec'd processes with the container: their
        # terminals hang up.
        for end in c.ttys:
            _hang_up(end)
        c.ttys = []
        c.status = 'exited'
        c.pid = 0
        c.exit_code = exit_code
        c.finished_at = time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())
        self._record(c, 'die')

    def _require(self, c, statuses, action):
        if c.status not in statuses:
            raise self.refused('container %s is %s' % (c.id[:12], c.status),
                               action)

    # -- connection -----------------------------------------------------------

    def endpoint(self):
        return ENDPOINT

    def is_local(self):
        return self.local

    def version(self):
        self._enter('version')
        return dict(self.version_data)

    def info(self):
        self._enter('info')
        return copy.deepcopy(self.info_data)

    # -- containers -----------------------------------------------------------

    def list_containers(self, labels):
        self._enter('list_containers', labels)
        with self._lock:
            return [c.state()
                    for c in self._containers.values()
                    if all(c.spec.labels.get(k) == v
                           for k, v in labels.items())]

    def inspect(self, container_id):
        self._enter('inspect', container_id)
        with self._lock:
            c = self._containers.get(container_id)
            return c.state() if c else None

    def inspect_raw(self, container_id):
        self._enter('inspect_raw', container_id)
        with self._lock:
            c = self._containers.get(container_id)
            if c is None:
                return None
            lim = c.limits
            return {
                'Id': c.id, 'Name': '/' + c.spec.name,
                'Image': c.image_id,
                'State': {'Status': c.status, 'Pid': c.pid,
                          'ExitCode': c.exit_code,
                          'StartedAt': c.started_at},
                'Config': {'Labels': dict(c.spec.labels),
                           'Hostname': c.spec.hostname,
                           'Cmd': c.spec.command, 'Image': c.spec.image},
                'HostConfig': {
                    'Memory': lim.memory_bytes,
                    'MemorySwap': lim.memory_bytes,
                    'CpuQuota': lim.cpu_quota_us,
                    'CpuPeriod': lim.cpu_period_us,
                    'CpuShares': lim.cpu_shares,
                    'PidsLimit': lim.pids_limit,
                    'CpusetCpus': lim.cpuset_cpus,
                    'StorageOpt': ({'size': str(lim.disk_bytes)}
                                   if lim.disk_bytes else None),
                    'Binds': ['%s:%s:ro' % kv for kv in
                              (c.spec.readonly_binds or {}).items()],
                    'Dns': list(c.spec.dns_servers or []),
                    'DnsSearch': list(c.spec.dns_search or []),
                    'NetworkMode': 'none', 'Privileged': False,
                    'SecurityOpt': ['no-new-privileges']},
            }

    def create(self, spec):
        self._enter('create', spec)
        action = 'create container %s' % spec.name
        with self._lock:
            image_id = self._resolve_image(spec.image)
            if image_id is None:
                raise self.refused('no such image: %s' % spec.image, action)
            if any(c.spec.name == spec.name
                   for c in self._containers.values()):
                raise self.refused('the name %s is already in use'
                                   % spec.name, action)
            if spec.limits.disk_bytes and not self._quota_supported():
                raise exception.DiskQuotaRefused(
                    action=action, reason='--storage-opt is supported only '
                    'for overlay over xfs with \'pquota\' mount option')
            cid = hashlib.sha256(b'container-%d' % next(self._ids)
                                 ).hexdigest()
            c = _Container(cid, copy.deepcopy(spec), image_id)
            c.files.update(self._images[image_id].get('files') or {})
            self._containers[cid] = c
            self._record(c, 'create')
            return cid

    def _quota_supported(self):
        status = dict(self.info_data.get('DriverStatus') or [])
        driver = self.info_data.get('Driver')
        return (driver in ('btrfs', 'zfs', 'devicemapper') or
                (driver == 'overlay2' and
                 status.get('Backing Filesystem') == 'xfs'))

    def start(self, container_id):
        self._enter('start', container_id)
        with self._lock:
            c = self._container(container_id, 'start container')
            if c.status == 'running':
                return
            self._require(c, ('created', 'exited'), 'start container')
            c.status = 'running'
            c.pid = next(self._pids)
            c.exit_code = 0
            c.started_at = time.strftime('%Y-%m-%dT%H:%M:%SZ',
                                         time.gmtime())
            self._record(c, 'start')

    def stop(self, container_id, timeout):
        self._enter('stop', container_id, timeout)
        with self._lock:
            c = self._container(container_id, 'stop container')
            if c.status in ('created', 'exited', 'dead'):
                return
            self._require(c, ('running', 'restarting'), 'stop container')
            self._end(c, 0)
            self._record(c, 'stop')

    def kill(self, container_id):
        self._enter('kill', container_id)
        with self._lock:
            c = self._container(container_id, 'kill container')
            self._require(c, ('running', 'restarting'), 'kill container')
            self._record(c, 'kill')
            self._end(c, 137)

    def pause(self, container_id):
        self._enter('pause', container_id)
        with self._lock:
            c = self._container(container_id, 'pause container')
            self._require(c, ('running',), 'pause container')
            c.status = 'paused'
            self._record(c, 'pause')

    def unpause(self, container_id):
        self._enter('unpause', container_id)
        with self._lock:
            c = self._container(container_id, 'unpause container')
            self._require(c, ('paused',), 'unpause container')
            c.status = 'running'
            self._record(c, 'unpause')

    def remove(self, container_id):
        self._enter('remove', container_id)
        with self._lock:
            c = self._containers.get(container_id)
            if c is None:
                return
            if c.status in ('running', 'paused', 'restarting'):
                self._record(c, 'kill')
                self._end(c, 137)
            del self._containers[container_id]
            self._record(c, 'destroy')

    def update_limits(self, container_id, limits):
        self._enter('update_limits', container_id, limits)
        with self._lock:
            c = self._container(container_id, 'update container limits')
            # The root disk quota is fixed at create, as the engine's is.
            c.limits = dataclasses.replace(limits,
                                           disk_bytes=c.limits.disk_bytes)
            self._record(c, 'update')

    def logs(self, container_id, max_bytes):
        self._enter('logs', container_id, max_bytes)
        with self._lock:
            return self._container(container_id, 'read logs'
                                   ).logs[-max_bytes:]

    def stats(self, container_id):
        self._enter('stats', container_id)
        with self._lock:
            c = self._container(container_id, 'read stats')
            running = c.status in ('running', 'paused')
            used = 4 * 1024 * 1024 if running else 0
            return {
                'read': time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime()),
                'pids_stats': {'current': 1 if running else 0,
                               'limit': c.limits.pids_limit},
                'cpu_stats': {'cpu_usage': {'total_usage': 1000 * used,
                                            'percpu_usage': [1000 * used]},
                              'online_cpus': 1},
                'memory_stats': {'usage': used,
                                 'limit': c.limits.memory_bytes},
                'blkio_stats': {'io_service_bytes_recursive': [
                    {'major': 8, 'minor': 0, 'op': 'Read', 'value': 0},
                    {'major': 8, 'minor': 0, 'op': 'Write', 'value': 0}]},
                'networks': {},
            }

    def put_archive(self, container_id, path, data):
        self._enter('put_archive', container_id, path, data)
        with self._lock:
            c = self._container(container_id, 'copy files into container')
            try:
                with tarfile.open(fileobj=io.BytesIO(data)) as tar:
                    for member in tar.getmembers():
                        if member.isfile():
                            target = posixpath.normpath(
                                posixpath.join('/', path, member.name))
                            c.files[target] = tar.extractfile(member).read()
            except tarfile.TarError as exc:
                raise self.refused('not a tar archive: %s' % exc,
                                   'copy files into container')

    def get_file(self, container_id, path):
        self._enter('get_file', container_id, path)
        with self._lock:
            c = self._containers.get(container_id)
            if c is None:
                return None
            return c.files.get(posixpath.normpath(path))

    def open_tty(self, container_id, command):
        """A terminal whose "command" echoes every byte back, as a tty in
        echo mode with a program that reads nothing would."""
        self._enter('open_tty', container_id, command)
        with self._lock:
            c = self._container(container_id, 'open a terminal')
            self._require(c, ('running',), 'open a terminal')
            ours, engine = socket.socketpair()
            c.ttys.append(engine)
            self.tty_commands.append((c.id, list(command)))
        threading.Thread(target=_echo, args=(engine,), daemon=True).start()
        return ours

    def open_ttys(self, container_id):
        """How many terminals of the container are open (for tests)."""
        with self._lock:
            c = self._containers.get(container_id)
            return len([t for t in c.ttys if t.fileno() != -1]) if c else 0

    def container_events(self, labels, actions, since=None):
        self._enter('container_events', labels, actions, since)
        return _EventStream(self, dict(labels), actions, since)

    # -- images ---------------------------------------------------------------

    def image_id(self, ref):
        self._enter('image_id', ref)
        with self._lock:
            return self._resolve_image(ref)

    def repository_tags(self, repository):
        self._enter('repository_tags', repository)
        with self._lock:
            tags = {}
            for ref, image_id in self._tags.items():
                repo, tag = _split_ref(ref)
                if repo == repository:
                    tags[tag] = image_id
            return tags

    def image_ids_in_use(self):
        self._enter('image_ids_in_use')
        with self._lock:
            return {c.image_id for c in self._containers.values()}

    def image_config(self, ref):
        self._enter('image_config', ref)
        with self._lock:
            image_id = self._resolve_image(ref)
            if image_id is None:
                raise self.refused('no such image: %s' % ref,
                                   'inspect image')
            return dict(self._images[image_id]['config'])

    def load_image(self, fileobj):
        self._enter('load_image', fileobj)
        action = 'load image'
        # The engine reads a stream once, front to back, as this does.
        raw = (fileobj.read() if hasattr(fileobj, 'read')
               else b''.join(fileobj))
        try:
            with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
                manifest = json.load(tar.extractfile('manifest.json'))
                entry = manifest[0]
                body = tar.extractfile(entry['Config']).read()
                tags = entry.get('RepoTags') or []
                layers = [tar.extractfile(name).read()
                          for name in entry.get('Layers') or []]
        except (tarfile.TarError, KeyError, IndexError, TypeError,
                ValueError, AttributeError) as exc:
            raise self.refused('invalid tar header or manifest: %s' % exc,
                               action)
        try:
            config = (json.loads(body) or {}).get('config') or {}
        except ValueError as exc:
            raise self.refused('invalid image config: %s' % exc, action)
        files = {}
        for layer in layers:
            try:
                found = json.loads(layer)
            except ValueError:
                continue
            if isinstance(found, dict):
                files.update({path: base64.b64decode(data)
                              for path, data in found.items()})
        image_id = _digest(body + json.dumps(sorted(files)).encode())
        with self._lock:
            self._images[image_id] = {'config': dict(config),
                                      'files': files}
            for ref in tags:
                self._tags['%s:%s' % _split_ref(ref)] = image_id
        return image_id

    def tag_image(self, image_id, repository, tag):
        self._enter('tag_image', image_id, repository, tag)
        with self._lock:
            found = self._resolve_image(image_id)
            if found is None:
                raise self.refused('no such image: %s' % image_id,
                                   'tag image')
            self._tags['%s:%s' % (repository, tag)] = found

    def remove_image(self, ref):
        self._enter('remove_image', ref)
        with self._lock:
            image_id = self._resolve_image(ref)
            if image_id is None:
                return
            if ref != image_id:
                self._tags.pop('%s:%s' % _split_ref(ref), None)
                if image_id in self._tags.values():
                    return
            if image_id in {c.image_id
                            for c in self._containers.values()}:
                if ref == image_id:
                    raise self.refused('image %s is in use by a container'
                                       % image_id[:19], 'remove image')
                return  # the untagged image stays while it is used
            for name in [n for n, i in self._tags.items() if i == image_id]:
                del self._tags[name]
            del self._images[image_id]

    def commit(self, container_id, repository, tag):
        self._enter('commit', container_id, repository, tag)
        with self._lock:
            c = self._container(container_id, 'commit container')
            parent = self._images.get(c.image_id, {})
            body = json.dumps({'parent': c.image_id,
                               'files': sorted(c.files),
                               'n': next(self._ids)}).encode()
            image_id = _digest(body)
            self._images[image_id] = {'config': dict(parent.get('config',
                                                                {})),
                                      'files': dict(c.files)}
            if repository:
                self._tags['%s:%s' % (repository, tag or 'latest')] = \
                    image_id
            return image_id

    def save_image(self, ref):
        self._enter('save_image', ref)
        with self._lock:
            image_id = self._resolve_image(ref)
            if image_id is None:
                raise self.refused('no such image: %s' % ref, 'save image')
            config = dict(self._images[image_id]['config'])
            files = self._images[image_id].get('files') or {}
        # The layer carries the image's files, so a save then a load into
        # another fake engine gives containers the same filesystem.
        layer = json.dumps({path: base64.b64encode(data).decode()
                            for path, data in sorted(files.items())}
                           ).encode() if files else b'fake layer'
        return iter([save_tarball(config, layer=layer)])


def _hang_up(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    sock.close()


def _echo(sock):
    try:
        while True:
            data = sock.recv(4096)
            if not data:
                break
            sock.sendall(data)
    except OSError:
        pass
    finally:
        sock.close()


def save_tarball(config, repo_tags=None, layer=b'fake layer'):
    """A minimal ``docker save`` tarball (manifest, config, one layer)."""
    body = json.dumps({'config': config, 'rootfs': {
        'type': 'layers', 'diff_ids': [_digest(layer)]}},
        sort_keys=True).encode()
    config_name = '%s.json' % hashlib.sha256(body).hexdigest()
    manifest = [{'Config': config_name, 'RepoTags': repo_tags,
                 'Layers': ['layer/layer.tar']}]
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w') as tar:
        for name, data in (('manifest.json', json.dumps(manifest).encode()),
                           (config_name, body), ('layer/layer.tar', layer)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()

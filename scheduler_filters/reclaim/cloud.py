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

"""The compute API as the reclaim service sees it.

``Cloud`` is the abstract interface; ``ComputeAPICloud`` implements it on
any client with ``get(path)``, ``post(path, body)`` and ``delete(path)``
returning decoded JSON, so the same REST calls run against a real cloud
(through an openstacksdk / keystoneauth adapter, ``KeystoneTransport``) and
against Nova's API in the functional tests.
"""

import abc
import contextlib
import dataclasses
import datetime
import json

from scheduler_filters import exception
from scheduler_filters.core import arch
from scheduler_filters.core import facts

#: 2.47 embeds the flavor in server details; 2.87 is the last that shows
#: vcpus and memory in hypervisor details.
MICROVERSION = '2.87'

ACTIONS = ('shelve', 'stop', 'delete')
# States in which a server holds no compute capacity.
_FREE_STATES = frozenset(('SHELVED_OFFLOADED', 'DELETED'))


@dataclasses.dataclass
class Server:
    id: str
    name: str
    project_id: str
    status: str
    host: str | None
    created: datetime.datetime
    vcpus: int
    memory_mb: int
    disk_gb: int
    metadata: dict
    fault: str = ''
    updated: datetime.datetime | None = None
    launched: datetime.datetime | None = None
    image_id: str | None = None  # None: booted from a volume

    @property
    def age_key(self):
        """Sorts oldest first. The API's ``created`` has whole seconds, so
        servers booted in one second tie; ``launched_at`` has microseconds
        and breaks the tie (then the id, so the order never varies)."""
        return (self.created, self.launched or self.created, self.id)

    @property
    def holds_capacity(self):
        return bool(self.host) and self.status not in _FREE_STATES

    def amounts(self):
        return {facts.VCPU: self.vcpus, facts.MEMORY_MB: self.memory_mb,
                facts.DISK_GB: self.disk_gb, facts.INSTANCES: 1}


class Cloud(metaclass=abc.ABCMeta):
    @abc.abstractmethod
    def servers(self):
        """Every server of every project (list of Server)."""

    @abc.abstractmethod
    def hosts(self):
        """[{'name', 'total': {resource: n}, 'used': {resource: n},
        'architectures'}] of every hypervisor that is up; 'architectures'
        (optional) is the frozenset of canonical architectures it runs
        natively, None or missing when not known (it may run anything)."""

    def cycle(self):
        """A context manager around one reclaim cycle: what a cloud reads
        once per cycle may be shared by its calls within it (one
        ``/os-aggregates`` read for pools and emulation), never across
        cycles."""
        return contextlib.nullcontext()

    def aggregates(self):
        """{aggregate name: [host names]}; asked only when the plan
        overrides aggregates. A cloud without aggregates has none."""
        return {}

    def emulated_architectures(self):
        """{host name: frozenset of canonical architectures it runs under
        emulation}. Asked only for demand whose image names architectures
        that a host does not run natively."""
        return {}

    def image_architectures(self, image_id):
        """Canonical architectures an image runs on (frozenset), or None:
        any, or not known to this cloud."""
        return None

    def failed_at(self, server):
        """When the server's boot failed, more precisely than its
        whole-second ``updated``, or None when the cloud cannot say."""
        return None

    @abc.abstractmethod
    def act(self, server_id, action):
        """Shelve, stop or delete a server."""

    @abc.abstractmethod
    def set_metadata(self, server_id, metadata):
        """Merge ``metadata`` into the server's metadata."""

    @abc.abstractmethod
    def delete_metadata(self, server_id, key):
        """Remove one metadata key."""


class ComputeAPICloud(Cloud):
    """``images``, optional, is a transport to Glance's v2 API (paths
    relative to its versioned endpoint, as openstacksdk's ``conn.image``
    has them): without it an image's architectures are not known, and
    demand counts in every pool as if the image ran anywhere."""

    def __init__(self, transport, cpu_allocation_ratio=1.0,
                 ram_allocation_ratio=1.0, images=None):
        self.t = transport
        self.images = images
        self._cycle_reads = None  # path -> answer, within a cycle only
        self.ratios = {facts.VCPU: cpu_allocation_ratio,
                       facts.MEMORY_MB: ram_allocation_ratio,
                       facts.DISK_GB: 1.0}

    def servers(self):
        out = []
        path = '/servers/detail?all_tenants=1'
        marker = None
        for _page in range(10000):  # bounded: at most 10M servers
            page = self.t.get(path + ('&marker=%s' % marker if marker
                                      else ''))['servers']
            for s in page:
                out.append(_server(s))
            if not page or len(page) < 1000:
                break
            marker = page[-1]['id']
        return out

    def hosts(self):
        hyps = self.t.get('/os-hypervisors/detail')['hypervisors']
        out = []
        for h in hyps:
            if h.get('state', 'up') != 'up':
                continue
            native = _cpu_arch(h.get('cpu_info'))
            out.append({
                'name': (h.get('service') or {}).get('host')
                or h.get('hypervisor_hostname'),
                'total': {
                    facts.VCPU: int(int(h.get('vcpus') or 0)
                                    * self.ratios[facts.VCPU]),
                    facts.MEMORY_MB: int(int(h.get('memory_mb') or 0)
                                         * self.ratios[facts.MEMORY_MB]),
                    facts.DISK_GB: int(h.get('local_gb') or 0)},
                'used': {facts.VCPU: int(h.get('vcpus_used') or 0),
                         facts.MEMORY_MB: int(h.get('memory_mb_used') or 0),
                         facts.DISK_GB: int(h.get('local_gb_used') or 0)},
                # cpu_info is shown up to microversion 2.87.
                'architectures': frozenset((native,)) if native else None})
        return out

    @contextlib.contextmanager
    def cycle(self):
        self._cycle_reads = {}
        try:
            yield self
        finally:
            self._cycle_reads = None

    def _read_once(self, path):
        """GET ``path``, once per cycle (every time outside a cycle)."""
        if self._cycle_reads is None:
            return self.t.get(path)
        if path not in self._cycle_reads:
            self._cycle_reads[path] = self.t.get(path)
        return self._cycle_reads[path]

    def aggregates(self):
        aggs = self._read_once('/os-aggregates')['aggregates']
        return {a['name']: list(a.get('hosts') or ()) for a in aggs}

    def emulated_architectures(self):
        # As ArchitectureFilter reads aggregate metadata. (A compute's own
        # emulation stat is not in the API: such a host counts as running
        # only its native architecture.)
        out = {}
        for agg in self._read_once('/os-aggregates')['aggregates']:
            value = (agg.get('metadata') or {}).get(arch.EMULATED_LABEL)
            if not value:
                continue
            # As the filter: the names it understands still count.
            emulated = arch.emulated_declared(
                value, 'aggregate %s' % agg.get('name'))
            if not emulated:
                continue
            for host in agg.get('hosts') or ():
                out[host] = out.get(host, frozenset()) | emulated
        return out

    def image_architectures(self, image_id):
        if self.images is None or not image_id:
            return None
        image = self.images.get('/images/%s' % image_id)
        props = {k: image[k] for k in arch.IMAGE_PROPERTIES if image.get(k)}
        return arch.image_architectures(props)

    def failed_at(self, server):
        # The 'create' action's failed events carry microseconds where the
        # database keeps them (SQLite, MariaDB/MySQL with fractional
        # DATETIME); the server's 'updated' never does.
        base = '/servers/%s/os-instance-actions' % server.id
        try:
            actions = self.t.get(base)['instanceActions']
            created = [a['request_id'] for a in actions
                       if a.get('action') == 'create' and a.get('request_id')]
            if not created:
                return None
            events = self.t.get('%s/%s' % (base, created[-1]))[
                'instanceAction'].get('events') or ()
        except exception.ReclaimError:
            return None  # gone meanwhile, or not allowed: 'updated' it is
        times = [_when(e.get('finish_time')) for e in events
                 if e.get('result') == 'Error' and e.get('finish_time')]
        return max(times) if times else None

    def act(self, server_id, action):
        if action == 'delete':
            self.t.delete('/servers/%s' % server_id)
        elif action == 'shelve':
            self.t.post('/servers/%s/action' % server_id, {'shelve': None})
        elif action == 'stop':
            self.t.post('/servers/%s/action' % server_id, {'os-stop': None})
        else:
            raise exception.ReclaimError(
                what=server_id, reason='unknown action %r (known: %s)'
                % (action, ', '.join(ACTIONS)))

    def set_metadata(self, server_id, metadata):
        self.t.post('/servers/%s/metadata' % server_id,
                    {'metadata': metadata})

    def delete_metadata(self, server_id, key):
        self.t.delete('/servers/%s/metadata/%s' % (server_id, key))


class KeystoneTransport:
    """get/post/delete on a keystoneauth Adapter (``conn.compute`` of
    openstacksdk), at compute ``microversion`` (None: no microversion, for
    ``conn.image``)."""

    def __init__(self, adapter, microversion=MICROVERSION):
        self.adapter = adapter
        self.microversion = microversion

    def _call(self, method, path, body=None):
        kwargs = {'raise_exc': False}
        if self.microversion:
            kwargs['microversion'] = self.microversion
            kwargs['microversion_service_type'] = 'compute'
        if body is not None:
            kwargs['json'] = body
        resp = getattr(self.adapter, method)(path, **kwargs)
        if resp.status_code >= 400:
            raise exception.ReclaimError(
                what='%s %s' % (method.upper(), path),
                reason='HTTP %s: %s' % (resp.status_code, resp.text[:300]))
        return resp.json() if resp.content else {}

    def get(self, path):
        return self._call('get', path)

    def post(self, path, body):
        return self._call('post', path, body)

    def delete(self, path):
        return self._call('delete', path)


def _server(s):
    flavor = s.get('flavor') or {}
    image = s.get('image')  # '' for a server booted from a volume
    fault = (s.get('fault') or {}).get('message', '')
    created = _when(s.get('created')) or datetime.datetime(
        1970, 1, 1, tzinfo=datetime.timezone.utc)
    return Server(
        id=s['id'], name=s.get('name', ''),
        project_id=s.get('tenant_id') or s.get('project_id'),
        status=s.get('status', ''),
        host=s.get('OS-EXT-SRV-ATTR:host'),
        created=created, updated=_when(s.get('updated')),
        launched=_when(s.get('OS-SRV-USG:launched_at')),
        vcpus=int(flavor.get('vcpus') or 0),
        memory_mb=int(flavor.get('ram') or 0),
        disk_gb=int(flavor.get('disk') or 0)
        + int(flavor.get('ephemeral') or 0),
        metadata=dict(s.get('metadata') or {}), fault=fault,
        image_id=image.get('id') if isinstance(image, dict) else None)


def _cpu_arch(cpu_info):
    """Canonical architecture in a hypervisor's cpu_info, or None."""
    if isinstance(cpu_info, str):
        try:
            cpu_info = json.loads(cpu_info)
        except ValueError:
            return None
    value = cpu_info.get('arch') if isinstance(cpu_info, dict) else None
    if not value:
        return None
    try:
        return arch.canonicalize(value)
    except exception.UnknownArchitecture:
        return None


def _when(value):
    if not value:
        return None
    when = datetime.datetime.fromisoformat(value.replace('Z', '+00:00'))
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return when

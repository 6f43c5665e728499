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

"""The registered Docker hosts and what the scheduler needs to know about them.

Hosts come from ``[docker_hosts] hosts`` (name=endpoint) and, when enabled,
from Nova's hypervisors of type docker. With none registered, the one
``[heat_docker] endpoint`` engine is the fleet. Facts about a host
(architecture, CPUs, memory from ``/info``; what the plugin placed there from
the live limits of its containers) are cached for ``facts_ttl`` seconds and
corrected in place by each placement, so a burst of placements from one
stack sees its own earlier choices.
"""

import math
import threading
import time

from oslo_config import cfg
from oslo_log import log as logging

from docker_layer import client as layer_client
from heat_plugin import conf
from heat_plugin import docker_client
from heat_plugin import exception
from scheduler_filters.core import arch
from scheduler_filters.core import facts

LOG = logging.getLogger(__name__)
CONF = cfg.CONF
DEFAULT_HOST = 'default'
MIB = 1024 * 1024

NANO = 10 ** 9
DEFAULT_CPU_PERIOD = 100000


def parse_hosts(entries):
    """``['name=endpoint', ...]`` -> {name: url}; raises naming the entry."""
    out = {}
    for entry in entries or []:
        name, sep, url = entry.partition('=')
        name, url = name.strip(), url.strip()
        if not sep or not name or not url:
            raise exception.InvalidProperty(
                field='[docker_hosts] hosts',
                reason='%r is not name=endpoint' % (entry,))
        if name in out:
            raise exception.InvalidProperty(
                field='[docker_hosts] hosts',
                reason='host %r is listed twice' % name)
        out[name] = url
    return out


def hosts_from_hypervisors(hypervisors, template):
    """Nova hypervisor records (dicts) -> {name: url} for type docker."""
    out = {}
    for hv in hypervisors:
        if str(hv.get('hypervisor_type', '')).lower() != 'docker':
            continue
        if hv.get('state', 'up') != 'up' or \
                hv.get('status', 'enabled') != 'enabled':
            continue
        name = hv.get('hypervisor_hostname') or hv.get('host_ip')
        out[name] = template.format(host_ip=hv.get('host_ip'),
                                    hypervisor_hostname=name)
    return out


def _nova_hosts(context):
    try:
        nova = context.clients.client('nova')
        records = [h.to_dict() for h in nova.hypervisors.list()]
    except Exception as e:  # the fleet still works with configured hosts
        LOG.warning('Could not list Nova docker hypervisors: %s', e)
        return {}
    return hosts_from_hypervisors(records,
                                  CONF.docker_hosts.nova_endpoint_template)


def registered(context=None):
    """{name: Endpoint} of every host placement may choose from."""
    conf.register_opts()
    urls = parse_hosts(CONF.docker_hosts.hosts)
    if CONF.docker_hosts.discover_from_nova and context is not None:
        for name, url in _nova_hosts(context).items():
            urls.setdefault(name, url)
    if not urls:
        return {DEFAULT_HOST: docker_client.default_endpoint()}
    return {name: docker_client.make_endpoint(url)
            for name, url in urls.items()}


def lookup(name, context=None):
    hosts = registered(context)
    try:
        return hosts[name]
    except KeyError:
        raise exception.UnknownHost(
            name=name, known=', '.join(sorted(hosts))) from None


def _demand(cpu_quota, cpu_period, memory, nano_cpus=0):
    """(vcpus, memory_mb) of CPU and memory limits (0 or less: unbounded)."""
    vcpus = 0
    if nano_cpus and nano_cpus > 0:
        vcpus = math.ceil(nano_cpus / NANO)
    elif cpu_quota and cpu_quota > 0:
        vcpus = math.ceil(cpu_quota / (cpu_period or DEFAULT_CPU_PERIOD))
    memory_mb = math.ceil(memory / MIB) if memory and memory > 0 else 0
    return vcpus, memory_mb


def demand_of(props):
    """(vcpus, memory_mb) a container's limits ask for (0: unbounded)."""
    return _demand(props.get('cpu_quota'), props.get('cpu_period'),
                   props.get('memory'))


def live_demand(host_config):
    """(vcpus, memory_mb) of a container's current limits (its HostConfig).

    Docker applies in-place updates (``docker update``, the plugin's update
    of memory / CPU limits) to HostConfig, never to labels.
    """
    return _demand(host_config.get('CpuQuota'), host_config.get('CpuPeriod'),
                   host_config.get('Memory'), host_config.get('NanoCpus'))


def emulated_architectures(name, labels):
    """What an engine's ``docker_emulated_architectures`` daemon label
    declares: as Nova's ArchitectureFilter reads the same declaration, an
    unknown name is ignored with a warning and the rest still counts."""
    return arch.emulated_declared(labels.get(arch.EMULATED_LABEL) or '',
                                  'Docker host %s' % name)


class FactsCache(object):
    """Per-process HostFacts per host, refreshed after ``facts_ttl``."""

    def __init__(self):
        self._lock = threading.Lock()
        self._facts = {}     # name -> (expires, HostFacts)

    def clear(self):
        with self._lock:
            self._facts.clear()

    def get(self, name, endpoint):
        with self._lock:
            entry = self._facts.get(name)
            if entry and entry[0] > time.monotonic():
                return entry[1]
        host = self._collect(name, endpoint)
        with self._lock:
            self._facts[name] = (time.monotonic() + CONF.docker_hosts.facts_ttl,
                                 host)
        return host

    def invalidate(self, name):
        with self._lock:
            self._facts.pop(name, None)

    def record(self, name, project_id, vcpus, memory_mb):
        """Count a placement in the cached facts until the next refresh."""
        with self._lock:
            entry = self._facts.get(name)
            if not entry:
                return
            _add(entry[1], project_id, vcpus, memory_mb)

    def _collect(self, name, endpoint):
        engine = docker_client.Engine(endpoint)
        info = engine.info()
        declared = CONF.docker_hosts.architectures.get(name)
        archs = arch.canonicalize_all(
            [declared or info.get('Architecture') or 'x86_64'])
        labels = layer_client.daemon_labels(info)
        emulated = emulated_architectures(name, labels)
        host = facts.HostFacts(
            name=name, architectures=archs, emulated_architectures=emulated,
            vcpus_total=int(info.get('NCPU') or 0), vcpus_used=0,
            memory_mb_total=int(info.get('MemTotal') or 0) // MIB,
            memory_mb_used=0, labels=labels)
        owned = engine.containers(labels=[docker_client.LABEL_OWNER])
        for c in owned:
            try:
                host_config = engine.inspect(c['Id']).get('HostConfig') or {}
            except exception.NotFound:
                continue     # removed since the listing
            lab = c.get('Labels') or {}
            _add(host, lab.get(docker_client.LABEL_PROJECT, ''),
                 *live_demand(host_config))
        return host


def _add(host, project_id, vcpus, memory_mb):
    host.vcpus_used += vcpus
    host.memory_mb_used += memory_mb
    host.instances += 1
    usage = host.projects_usage.setdefault(project_id, {})
    for key, amount in ((facts.VCPU, vcpus), (facts.MEMORY_MB, memory_mb),
                        (facts.INSTANCES, 1)):
        usage[key] = usage.get(key, 0) + amount


FACTS = FactsCache()

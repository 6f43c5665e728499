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

"""Nova virt driver whose instances are Docker containers.

Operators set ``compute_driver = docker.DockerDriver`` (the thin
``nova.virt.docker`` module that ``nova-docker-shim install`` writes) and
point ``[docker] endpoint`` at the engine. Every engine call goes through
the backend loaded by name from the ``nova_docker_driver.backends``
namespace (``[docker] backend``).

A container belongs to an instance through its labels (instance uuid and
compute host); its name (``nova-<uuid>``) is only for people reading
``docker ps``: the driver never finds a container by name.
"""

import contextlib
import dataclasses
import os
import shlex
import shutil
import threading
import time

from nova.compute import power_state
from nova.compute import task_states
from nova.compute import vm_states
import nova.conf
from nova.console import type as console_type
from nova import exception as nova_exc
from nova.virt import driver
from nova.virt import hardware
import os_resource_classes as orc
from oslo_log import log as logging
import psutil

from nova_docker_driver import backends
from nova_docker_driver.backends import base as backend_base
from nova_docker_driver import conf as docker_conf
from nova_docker_driver import console
from nova_docker_driver import diagnostics
from nova_docker_driver import events
from nova_docker_driver import exception
from nova_docker_driver import hostinfo
from nova_docker_driver import image_cache
from nova_docker_driver import images
from nova_docker_driver import inject
from nova_docker_driver import labels
from nova_docker_driver import limits
from nova_docker_driver import moves
from nova_docker_driver.network import dns
from nova_docker_driver.network import mixin
from nova_docker_driver.network import vif as vif_mod
from nova_docker_driver import numa
from nova_docker_driver import snapshot
from scheduler_filters.core import arch

CONF = nova.conf.CONF
docker_conf.register_opts(CONF)
LOG = logging.getLogger(__name__)

LABEL_UUID = labels.LABEL_UUID
LABEL_HOST = labels.LABEL_HOST
LABEL_NAME = labels.LABEL_NAME
LABEL_PROJECT = labels.LABEL_PROJECT
LABEL_IMAGE = labels.LABEL_IMAGE

# Seconds the engine's info/version serve provider-tree updates between
# Nova's periodic resource audits.
FACTS_MAX_AGE = 60

# Schedulers can ask for Docker hosts with this trait.
TRAIT_DOCKER = 'CUSTOM_HYPERVISOR_DOCKER'

POWER_STATES = {
    'created': power_state.SHUTDOWN,
    'running': power_state.RUNNING,
    'restarting': power_state.RUNNING,
    'paused': power_state.PAUSED,
    'exited': power_state.SHUTDOWN,
    'dead': power_state.CRASHED,
    'removing': power_state.NOSTATE,
}


# One line per spawn: where a boot's time on this host went. "ports" is
# Nova and Neutron creating and binding the ports (Nova allocates them
# while spawn begins), "events" Neutron's network-vif-plugged after the
# wiring; "driver" is the rest: image, container, start and wiring.
_SPAWN_TIMES = ('Spawn took %(total).3f s: %(ports).3f s waiting for the '
                'ports, %(driver).3f s in the driver, %(events).3f s waiting '
                'for network-vif-plugged')


def _write_config_drive(root, instance, injected_files, network_info):
    files = inject.config_drive_files(instance, injected_files, network_info)
    inject.write_tree(root, files)
    return files


class _Background:
    """Run one function in a thread; result() returns or raises its outcome."""

    def __init__(self, func, *args):
        self._outcome = None
        self._thread = threading.Thread(target=self._run, args=(func, args),
                                        daemon=True)
        self._thread.start()

    def _run(self, func, args):
        try:
            self._outcome = (True, func(*args))
        except BaseException as exc:  # handed to the caller
            self._outcome = (False, exc)

    def wait(self):
        self._thread.join()

    def result(self):
        self._thread.join()
        ok, value = self._outcome
        if not ok:
            raise value
        return value


#: Seconds between looks at a new container's health during spawn.
HEALTH_POLL = 0.25

def exit_line(state):
    """The console's last line for a container whose process has ended
    (no newline after it: Nova's ``length`` counts the text after the last
    newline as a line)."""
    how = ' (killed for lack of memory)' if state.oom_killed else ''
    when = ' at %s' % state.finished_at if state.finished_at else ''
    return ('[docker-on-openstack] the container process exited with code '
            '%d%s%s' % (state.exit_code, how, when))


class DockerDriver(mixin.NetworkMixin, driver.ComputeDriver):
    """Docker containers as Nova instances.

    Networking (plug/unplug_vifs, attach/detach_interface and the
    _wire_network/_unwire_network hooks called here around every container
    start and removal) comes from ``network.mixin.NetworkMixin``.
    """

    capabilities = dict(
        driver.ComputeDriver.capabilities,
        # Images are `docker save` tarballs stored with disk_format raw.
        supports_image_type_raw=True,
        supports_attach_interface=True,
        # hw:cpu_policy=dedicated with [compute] cpu_dedicated_set.
        supports_pcpus=True,
        # Nova's periodic image cache pass sweeps unused Glance images.
        has_imagecache=True,
        # Rebuild elsewhere from the image when a host is down; the
        # returning host's init_host removes what was evacuated.
        supports_evacuate=True,
    )

    def __init__(self, virtapi, read_only=False):
        super().__init__(virtapi)
        self._host = CONF.host
        self._nodename = CONF.host
        self._backend = backends.load(CONF.docker.backend, CONF)
        self._images = images.ImageLoader(self._backend, CONF)
        self._cache_sweeper = image_cache.CacheSweeper(self._backend,
                                                       self._images, CONF)
        self._snapshots = snapshot.Snapshotter(self._backend, CONF)
        self._moves = moves.MoveImages(self._backend)
        self._consoles = console.SerialConsoles(CONF, self._open_terminal)
        #: Containers labelled for this host that Nova does not know.
        self.unknown_containers = []
        self._disk_quota = None
        # Refreshed by the resource tracker's periodic get_available_resource
        # so a spawn does not ask the engine again.
        self._host_cpus = None
        self._last_facts = None
        self._facts_at = 0.0
        self._watcher = None
        self._reaper = None
        self._lock = threading.Lock()

    # -- lookup -----------------------------------------------------------

    @property
    def backend(self):
        return self._backend

    def _labels(self, instance=None):
        labels = {LABEL_HOST: self._host}
        if instance is not None:
            labels[LABEL_UUID] = instance.uuid
        return labels

    def _find(self, instance):
        """The ContainerState of the instance's container, or None."""
        found = self._backend.list_containers(self._labels(instance))
        if len(found) > 1:
            LOG.warning('Instance has %d containers: %s', len(found),
                        [c.id for c in found], instance=instance)
        return found[0] if found else None

    def _get(self, instance):
        state = self._find(instance)
        if state is None:
            raise nova_exc.InstanceNotFound(instance_id=instance.uuid)
        return state

    def _container_pid(self, instance):
        """Init pid of the instance's running container, or None."""
        state = self._find(instance)
        if state is None:
            return None
        full = self._backend.inspect(state.id)
        if full is None or full.status not in ('running', 'paused'):
            return None
        return full.pid or None

    # -- host -------------------------------------------------------------

    def init_host(self, host):
        self._host = host
        self._nodename = host
        # Started even while the engine is down: it reconnects.
        self._watch_events(host)
        self._start_reaper(host)
        try:
            version = self._backend.version()
        except exception.EngineUnavailable as exc:
            # nova-compute starts anyway; instances report as not found
            # until the engine is back.
            LOG.error('%s', exc)
            return
        # disk_quota=on on an engine that cannot do it: refuse to start,
        # rather than fail every boot.
        self._disk_quota_enabled()
        LOG.info('Docker engine %s (API %s, %s) at %s',
                 version.get('Version'), version.get('ApiVersion'),
                 version.get('Arch'), self._backend.endpoint())
        self._reconcile(host)

    def _watch_events(self, host):
        if not CONF.docker.lifecycle_events:
            return
        if self._watcher is not None:
            self._watcher.stop()
        self._watcher = events.Watcher(self._backend, {LABEL_HOST: host},
                                       LABEL_UUID, self.emit_event)
        self._watcher.start()

    def _expect(self, container_id, action):
        if self._watcher is not None:
            self._watcher.expect(container_id, action)

    def _unexpect(self, container_id, action):
        if self._watcher is not None:
            self._watcher.unexpect(container_id, action)

    def cleanup_host(self, host):
        self._consoles.close_all()
        self._stop_reaper()
        if self._watcher is not None:
            self._watcher.stop()
            self._watcher = None

    def _reconcile(self, host):
        """Settle the containers labelled for this host that Nova does not
        have here.

        A container whose instance Nova has deleted (a delete that could not
        reach this host, a failed move) is handled as Nova's
        ``running_deleted_instance_action`` says, once the instance has been
        deleted for ``running_deleted_instance_timeout`` seconds: ``reap``
        (Nova's default) removes it with its ports and files, ``shutdown``
        stops it, ``log`` and ``noop`` leave it. A container of an instance
        Nova has never heard of, or that lives on another host now, is left
        alone and reported: deleting what Nova forgot could destroy a
        tenant's data after a database restore; an operator decides.
        Returns the containers removed.
        """
        from nova import context as nova_context
        from nova import objects
        ctxt = nova_context.get_admin_context()
        try:
            # The uuids only: a whole Instance per server of the host, every
            # reconcile_interval, costs nova-compute a conductor reply and
            # objects in proportion to the host's instances for nothing.
            known = set(objects.InstanceList.get_uuids_by_host(ctxt, host))
            # A container that moved away and waits here for the move's
            # confirm or revert is the move's, not a stray.
            known |= {m.instance_uuid for m in
                      objects.MigrationList.get_in_progress_by_host_and_node(
                          ctxt, host, self._nodename)}
            strays = [c for c in self._backend.list_containers(
                {LABEL_HOST: host}) if c.labels.get(LABEL_UUID) not in known]
            deleted = self._deleted_instances(strays)
        except Exception as exc:  # the DB or the engine may be unreachable
            LOG.warning('Cannot reconcile the containers of %s: %s',
                        host, exc)
            return []
        unknown, removed = [], []
        action = CONF.running_deleted_instance_action
        # Each container is reported once, not at every pass.
        reported = {c.id for c in self.unknown_containers}
        for c in strays:
            instance = deleted.get(c.labels.get(LABEL_UUID))
            if instance is None:
                unknown.append(c)
                (LOG.debug if c.id in reported else LOG.warning)(
                    'Container %s (%s, instance %s) is labelled for host %s '
                    'but Nova has no such instance here; left in place for '
                    'an operator to remove', c.id[:12], c.status,
                    c.labels.get(LABEL_UUID), host)
            elif action == 'reap':
                LOG.info('Removing container %s of deleted instance',
                         c.id[:12], instance=instance)
                self._remove(instance, [], container_id=c.id)
                removed.append(c)
            else:
                unknown.append(c)
                (LOG.debug if c.id in reported else LOG.warning)(
                    'Container %s (%s) belongs to a deleted instance '
                    '(running_deleted_instance_action=%s)', c.id[:12],
                    c.status, action, instance=instance)
                if action == 'shutdown':
                    self._stop(c, CONF.docker.stop_timeout)
        self.unknown_containers = unknown
        return removed

    @staticmethod
    def _deleted_instances(containers):
        """{uuid: Instance} of the containers' instances that Nova deleted
        at least ``running_deleted_instance_timeout`` seconds ago."""
        from nova import context as nova_context
        from nova import objects
        from oslo_utils import timeutils
        uuids = sorted({c.labels.get(LABEL_UUID) for c in containers} -
                       {None})
        if not uuids:
            return {}
        ctxt = nova_context.get_admin_context(read_deleted='yes')
        found = objects.InstanceList.get_by_filters(
            ctxt, {'uuid': uuids, 'deleted': True, 'soft_deleted': False},
            expected_attrs=[])
        timeout = CONF.running_deleted_instance_timeout
        return {i.uuid: i for i in found
                if i.deleted_at is None or timeutils.is_older_than(
                    i.deleted_at, timeout)}

    def _start_reaper(self, host):
        """Reconcile every ``[docker] reconcile_interval`` seconds."""
        self._stop_reaper()
        interval = CONF.docker.reconcile_interval
        if interval <= 0:
            return
        stop = threading.Event()

        def loop():
            while not stop.wait(interval):
                try:
                    self._reconcile(host)
                except Exception:  # never let the thread die
                    LOG.exception('Reconciling containers failed')
        thread = threading.Thread(target=loop, name='docker-reconcile',
                                  daemon=True)
        self._reaper = (stop, thread)
        thread.start()

    def _stop_reaper(self):
        if self._reaper is not None:
            self._reaper[0].set()
            self._reaper = None

    def get_available_nodes(self, refresh=False):
        return [self._nodename]

    def _engine_facts(self, max_age=0):
        """(info, version) of the engine; the last ones while it is down.

        ``max_age``: seconds for which the last facts are good enough.
        Nova updates the provider tree on every claim; the host's size does
        not change between its periodic resource audits (which always ask
        the engine). The host's capacity does not change when its engine
        restarts either: a resource update (also the one that runs when a
        failed build gives back its claim) must not fail because of it.
        """
        if (max_age and self._last_facts is not None and
                time.monotonic() - self._facts_at < max_age):
            return self._last_facts
        try:
            facts = (self._backend.info(), self._backend.version())
        except exception.EngineUnavailable as exc:
            if self._last_facts is None:
                raise
            LOG.warning('%s; reporting the resources last seen', exc)
            return self._last_facts
        self._last_facts = facts
        self._facts_at = time.monotonic()
        self._host_cpus = facts[0].get('NCPU') or 1
        return facts

    def get_available_resource(self, nodename):
        info, version = self._engine_facts()
        resources = hostinfo.available_resource(
            info, version, nodename, self._emulated(info, version))
        topology = numa.host_topology(resources['vcpus'],
                                      resources['memory_mb'])
        resources['numa_topology'] = topology._to_json() if topology else None
        return resources

    def update_provider_tree(self, provider_tree, nodename, allocations=None):
        info, version = self._engine_facts(max_age=FACTS_MAX_AGE)
        vcpus = info.get('NCPU') or 1
        memory_mb = info.get('MemTotal', 0) // limits.MiB
        disk_gb = max(hostinfo.disk_gb(info)[0], 1)
        ratios = self._get_allocation_ratios(
            provider_tree.data(nodename).inventory)
        inventory = {
            orc.VCPU: {
                'total': vcpus, 'min_unit': 1, 'max_unit': vcpus,
                'step_size': 1, 'allocation_ratio': ratios[orc.VCPU],
                'reserved': CONF.reserved_host_cpus},
            orc.MEMORY_MB: {
                'total': memory_mb, 'min_unit': 1, 'max_unit': memory_mb,
                'step_size': 1, 'allocation_ratio': ratios[orc.MEMORY_MB],
                'reserved': CONF.reserved_host_memory_mb},
            orc.DISK_GB: {
                'total': disk_gb, 'min_unit': 1, 'max_unit': disk_gb,
                'step_size': 1, 'allocation_ratio': ratios[orc.DISK_GB],
                'reserved': self._get_reserved_host_disk_gb_from_config()},
        }
        shared, dedicated = numa.cpu_sets(vcpus)
        if dedicated:
            inventory[orc.VCPU].update(total=len(shared),
                                       max_unit=max(len(shared), 1))
            inventory[orc.PCPU] = {
                'total': len(dedicated), 'min_unit': 1,
                'max_unit': len(dedicated), 'step_size': 1,
                'allocation_ratio': 1.0, 'reserved': 0}
            if not shared:
                del inventory[orc.VCPU]
        provider_tree.update_inventory(nodename, inventory)
        # HW_ARCH_<native>, COMPUTE_ARCH_<each one it runs>: what Nova's
        # image_metadata_prefilter asks Placement for. The driver owns
        # these two prefixes, as libvirt does: stale ones go.
        native = hostinfo.architecture(version)
        arch_traits = arch.placement_traits(native,
                                            self._emulated(info, version))
        stale = [t for t in provider_tree.data(nodename).traits
                 if t.startswith(arch.TRAIT_PREFIXES)
                 and t not in arch_traits]
        if stale:
            provider_tree.remove_traits(nodename, *stale)
        provider_tree.add_traits(nodename, TRAIT_DOCKER, *sorted(arch_traits))

    def _emulated(self, info, version):
        """Architectures the engine runs emulated (daemon label, binfmt)."""
        return hostinfo.emulated_architectures(
            info, self._backend.is_local(), hostinfo.architecture(version),
            self._host)

    def get_host_cpu_stats(self):
        return hostinfo.host_cpu_stats()

    def get_host_ip_addr(self):
        return CONF.my_ip

    def get_host_uptime(self):
        return 'up %d seconds' % (time.time() - psutil.boot_time())

    # -- instance state ---------------------------------------------------

    def list_instances(self):
        return [c.labels.get(LABEL_NAME, c.name)
                for c in self._backend.list_containers(self._labels())]

    def list_instance_uuids(self):
        return [c.labels[LABEL_UUID]
                for c in self._backend.list_containers(self._labels())
                if LABEL_UUID in c.labels]

    def instance_exists(self, instance):
        return self._find(instance) is not None

    def get_info(self, instance, use_cache=True):
        state = self._get(instance)
        pstate = POWER_STATES.get(state.status, power_state.NOSTATE)
        if pstate == power_state.PAUSED and self._suspended(instance):
            pstate = power_state.SUSPENDED
        return hardware.InstanceInfo(state=pstate, internal_id=state.id)

    @staticmethod
    def _suspended(instance):
        # Suspend freezes the container like pause does (no checkpointing
        # here); Nova's own state tells the two apart.
        return (instance.vm_state == vm_states.SUSPENDED or
                instance.task_state == task_states.SUSPENDING)

    # -- spawn and destroy --------------------------------------------------

    def _disk_quota_enabled(self):
        mode = CONF.docker.disk_quota
        if mode == 'off':
            return False
        if self._disk_quota is None:
            supported, driver_name, backing = limits.disk_quota_support(
                self._backend.info())
            if mode == 'on' and not supported:
                raise exception.DiskQuotaUnsupported(driver=driver_name,
                                                     backing=backing)
            self._disk_quota = supported
        return self._disk_quota

    def _limits(self, instance, flavor=None):
        flavor = flavor or instance.flavor
        if self._host_cpus is None:
            self._host_cpus = self._backend.info().get('NCPU') or 1
        host_cpus = self._host_cpus
        # Nova's pinning (hw:cpu_policy=dedicated), else the admin's
        # docker:cpuset, else the shared cpus when some are dedicated.
        cpuset = numa.pinned_cpuset(instance)
        if not cpuset and not (flavor.extra_specs or {}).get(
                limits.CPUSET_SPEC):
            cpuset = numa.shared_cpuset(host_cpus)
        return limits.for_flavor(flavor, CONF, host_cpus, cpuset=cpuset,
                                 disk_quota=self._disk_quota_enabled())

    def _command(self, image_meta):
        cmdline = image_meta.properties.get('os_command_line')
        return shlex.split(cmdline) if cmdline else None

    @staticmethod
    def _dns_servers(network_info):
        """DNS servers of every port's subnets, in order, without repeats.

        They go into the container's /etc/resolv.conf (Neutron's
        dns_nameservers); none: the engine's default resolv.conf.
        """
        found = []
        for vif in network_info or []:
            for server in vif_mod.dns_servers(vif):
                if server not in found:
                    found.append(server)
        return found

    def _instance_dir(self, instance):
        return os.path.join(CONF.docker.instances_dir, instance.uuid)

    def _create(self, context, instance, image_meta, injected_files,
                network_info, image_ref=None, drive_files=None,
                resolving=None):
        """Create (not start) the container; remove it again on failure.

        A container that moved in (``image_ref``, the image it was committed
        as) brings its config-drive tree (``drive_files``, None when it is
        in its filesystem) and its personal files in its filesystem.
        ``resolving``: a _Background already resolving the image (spawn
        starts it before it waits for the ports).
        """
        # The metadata (a Neutron call and some CPU) is built in a second
        # thread while the image is resolved and the container created:
        # spawn time is what a tenant waits for.
        for attr in ('metadata', 'system_metadata', 'flavor', 'user_data'):
            getattr(instance, attr)  # loaded here, not in both threads
        # Bad port data fails here, before anything is made.
        dns_servers = self._dns_servers(network_info)
        # The networks' DNS domains (a Neutron call) beside the image.
        search = _Background(dns.search_domains, network_info)
        local = self._backend.is_local()
        root = os.path.join(self._instance_dir(instance), 'config_drive')
        if local:
            # A leftover of an earlier failed attempt goes first; the tree
            # is written beside the create (the engine needs it at start).
            self._remove_instance_dir(instance)
            if drive_files is not None:
                drive = _Background(inject.write_tree, root, drive_files)
            else:
                drive = _Background(_write_config_drive, root, instance,
                                    injected_files, network_info)
        elif image_ref is not None:
            drive = _Background(lambda: None)
        else:
            drive = _Background(inject.config_drive_files, instance,
                                injected_files, network_info)
        container_id = None
        try:
            ref = image_ref or (
                resolving.result() if resolving is not None
                else self._images.resolve(context, image_meta, instance))
            labels = self._labels(instance)
            labels.update({LABEL_NAME: instance.name,
                           LABEL_PROJECT: instance.project_id or '',
                           LABEL_IMAGE: image_meta.id or ''})
            spec = backend_base.ContainerSpec(
                name='nova-%s' % instance.uuid, image=ref, labels=labels,
                limits=self._limits(instance),
                hostname=getattr(instance, 'hostname', None) or instance.name,
                command=self._command(image_meta),
                # The engine needs the source to exist only at start.
                readonly_binds={root: inject.CONFIG_DRIVE_DIR} if local
                else None,
                dns_servers=dns_servers or None,
                dns_search=search.result() or None)
            container_id = self._create_container(spec, instance)
            files = drive.result()
            if image_ref is None:
                if not local:
                    self._backend.put_archive(container_id, '/',
                                              inject.tree_archive(files))
                self._inject_personal(container_id, instance, image_meta,
                                      ref, injected_files)
        except Exception:
            drive.wait()
            self._remove_instance_dir(instance)
            if container_id:
                try:
                    self._backend.remove(container_id)
                except Exception as exc:
                    # Keep the first error; destroy removes it later.
                    LOG.warning('Could not remove container %s yet: %s',
                                container_id[:12], exc, instance=instance)
            raise
        return container_id

    def _create_container(self, spec, instance):
        try:
            return self._backend.create(spec)
        except exception.DiskQuotaRefused as exc:
            if CONF.docker.disk_quota != 'auto':
                # 'on': no boot here without the quota, and no reschedule
                # loop over hosts configured alike.
                raise exception.SpawnAborted(
                    instance_uuid=instance.uuid,
                    reason='[docker] disk_quota=on: %s' % exc)
            # The engine's info cannot show this case (overlay2 on xfs
            # mounted without pquota): the first refusal settles it.
            LOG.warning('%s; [docker] disk_quota=auto: containers of this '
                        'host get no disk quota from now on', exc,
                        instance=instance)
            self._disk_quota = False
            spec = dataclasses.replace(spec, limits=dataclasses.replace(
                spec.limits, disk_bytes=0))
            return self._backend.create(spec)

    def _remove_instance_dir(self, instance):
        path = self._instance_dir(instance)
        if os.path.lexists(path):
            shutil.rmtree(path, ignore_errors=True)

    def _inject_personal(self, container_id, instance, image_meta, ref,
                         injected_files):
        if not injected_files and not getattr(instance, 'key_data', None):
            return
        image_user = (image_meta.properties.get('os_admin_user') or
                      self._backend.image_config(ref).get('User') or 'root')
        image_user = image_user.split(':', 1)[0]
        passwd = None
        if getattr(instance, 'key_data', None):
            raw = self._backend.get_file(container_id, '/etc/passwd')
            passwd = raw.decode('utf-8', 'replace') if raw else None
        data, problem = inject.personal_archive(
            instance, injected_files, passwd, image_user)
        if problem:
            LOG.warning('Key pair not injected: %s', problem,
                        instance=instance)
        if data:
            self._backend.put_archive(container_id, '/', data)

    def _start(self, instance, container_id, network_info, wait_events=False,
               times=None):
        """Start the container and wire its network (after every start).

        ``times``, if given, gets the seconds spent starting and wiring
        ('start') and then waiting for Neutron's events ('events').
        """
        waiter = (self._vifs_plugged(instance, network_info) if wait_events
                  else contextlib.nullcontext())
        began = time.monotonic()
        with waiter:
            self._backend.start(container_id)
            if network_info:
                self._wire_network(instance, network_info)
            wired = time.monotonic()
        if times is not None:
            times['start'] = wired - began
            times['events'] = time.monotonic() - wired

    def spawn(self, context, instance, image_meta, injected_files,
              admin_password, allocations, network_info=None,
              block_device_info=None, power_on=True, accel_info=None):
        began = time.monotonic()
        # The image needs no port: it is resolved (on a first boot of it,
        # downloaded from Glance and loaded) while Nova and Neutron make
        # the ports.
        resolving = _Background(self._images.resolve, context, image_meta,
                                instance)
        # Nova allocates the ports while spawn begins: the first look at
        # network_info waits for them. Timed apart from the driver's work.
        # (When that fails, the image, once loaded, stays cached.)
        if hasattr(network_info, 'wait'):
            network_info.wait()
        times = {'ports': time.monotonic() - began}
        try:
            if not power_on:
                self._create(context, instance, image_meta, injected_files,
                             network_info, resolving=resolving)
                return
            container_id = self._boot(context, instance, image_meta,
                                      injected_files, network_info, times,
                                      resolving)
            healthy = time.monotonic()
            self._wait_healthy(instance, container_id, network_info)
            times['health'] = time.monotonic() - healthy
        except exception.EngineUnavailable as exc:
            raise exception.SpawnAborted(instance_uuid=instance.uuid,
                                         reason=exc)
        total = time.monotonic() - began
        LOG.info(_SPAWN_TIMES, dict(
            times, total=total,
            driver=total - times['ports'] - times['events']),
            instance=instance)

    def _wait_healthy(self, instance, container_id, network_info):
        """Return once a container with a health check is healthy; when
        it turns unhealthy, exits or times out, remove it and abort the
        build with the reason (Nova shows it as the server's fault)."""
        timeout = CONF.docker.spawn_health_timeout
        deadline = time.monotonic() + timeout
        while timeout:
            state = self._backend.inspect(container_id)
            if state is None:
                return
            if state.status not in ('running', 'restarting'):
                reason = ('the container exited with code %d before it was '
                          'healthy' % state.exit_code)
            elif state.health in ('', 'healthy'):
                return
            elif state.health == 'unhealthy':
                reason = ('the container is unhealthy; last health check '
                          'output: %s' % (state.health_output or '(none)'))
            elif time.monotonic() > deadline:
                reason = ('the container was not healthy after %d s '
                          '([docker] spawn_health_timeout)' % timeout)
            else:
                time.sleep(HEALTH_POLL)
                continue
            LOG.error('Build aborted: %s', reason, instance=instance)
            try:
                self._remove(instance, network_info, container_id)
            except Exception as exc:  # noqa: BLE001 - keep the reason
                LOG.warning('Could not remove the container yet: %s', exc,
                            instance=instance)
            raise exception.SpawnAborted(instance_uuid=instance.uuid,
                                         reason=reason)

    def _boot(self, context, instance, image_meta, injected_files,
              network_info, times, resolving=None):
        """Create and start a new instance's container, its ports wired,
        once Neutron has said network-vif-plugged; returns its id. On
        failure nothing is left and the error is raised.

        The ports' host ends are plugged into the switch (veth pair, OVS
        port) in a second thread while the engine creates the container:
        binding them (ovn-controller, Neutron's port status, its event to
        Nova) runs meanwhile instead of after the start, as Nova's libvirt
        driver plugs VIFs before the domain runs. The container's ends go
        into its namespace right after the engine starts it, as before.
        """
        # Bad port data fails here, before anything is made.
        self._check_network(network_info)
        container_id = None
        try:
            with self._vifs_plugged(instance, network_info):
                host = _Background(self._plug_host_ends, instance,
                                   network_info)
                try:
                    container_id = self._create(context, instance,
                                                image_meta, injected_files,
                                                network_info,
                                                resolving=resolving)
                finally:
                    host.wait()
                plugged = host.result()
                # Its first start can only be this one.
                self._expect(container_id, 'start')
                began = time.monotonic()
                self._backend.start(container_id)
                self._wire_network(instance, network_info, plugged)
                wired = time.monotonic()
            times['start'] = wired - began
            times['events'] = time.monotonic() - wired
        except Exception as exc:
            self._abort_start(instance, network_info, container_id, exc,
                              'Starting' if container_id else 'Creating')
            raise
        return container_id

    def _abort_start(self, instance, network_info, container_id, exc,
                     what='Starting'):
        """After a failed first start (or create): remove what is left,
        host ends included; the caller raises ``exc``."""
        if container_id:
            self._unexpect(container_id, 'start')
        LOG.error('%s the container failed: %s', what, exc,
                  instance=instance)
        try:
            self._remove(instance, network_info, container_id)
        except Exception as cleanup_exc:  # noqa: BLE001 - keep exc
            # Nova's cleanup (destroy) tries again, and delete does once
            # the engine is back.
            LOG.warning('Could not remove the container yet: %s',
                        cleanup_exc, instance=instance)

    def _first_start(self, instance, container_id, network_info,
                     times=None):
        """Start a container just created here (spawn, or a move's
        destination) and wait for Neutron's events; on failure remove it
        again and raise what failed."""
        # A container just created: its first start can only be this one.
        self._expect(container_id, 'start')
        try:
            self._start(instance, container_id, network_info,
                        wait_events=True, times=times)
        except Exception as exc:
            self._abort_start(instance, network_info, container_id, exc)
            raise

    def _remove(self, instance, network_info, container_id=None):
        self._consoles.close(instance.uuid)
        try:
            self._unwire_network(instance, network_info)
        finally:
            try:
                self.unplug_vifs(instance, network_info)
            finally:
                if container_id is None:
                    state = self._find(instance)
                    container_id = state.id if state else None
                if container_id:
                    # A removed container dies once, if at all, and never
                    # again: a 'die' now is this removal's.
                    self._expect(container_id, 'die')
                    try:
                        self._backend.remove(container_id)
                    except Exception:
                        self._unexpect(container_id, 'die')
                        raise
                # The image a container that moved here was loaded as.
                self._backend.remove_image(moves.engine_ref(instance.uuid))
                self._remove_instance_dir(instance)

    def destroy(self, context, instance, network_info, block_device_info=None,
                destroy_disks=True, destroy_secrets=True):
        if (instance.task_state == task_states.RESIZE_REVERTING and
                instance.host == self._host and
                self._reverting_in_place(context, instance)):
            # Nova destroys the resize target before finish_revert_migration
            # on the source; here both are this host and the one container,
            # which keeps running and gets its old limits back there.
            LOG.info('Keeping the container through the resize revert',
                     instance=instance)
            return
        # Idempotent: a missing container is already destroyed.
        self._remove(instance, network_info or [])

    def cleanup(self, context, instance, network_info, block_device_info=None,
                destroy_disks=True, migrate_data=None, destroy_vifs=True,
                destroy_secrets=True):
        if destroy_disks:
            self._remove(instance, network_info or [])
        elif destroy_vifs:
            self._consoles.close(instance.uuid)
            self._unwire_network(instance, network_info or [])
            self.unplug_vifs(instance, network_info or [])

    def rebuild(self, context, instance, image_meta, injected_files,
                admin_password, allocations, bdms, detach_block_devices,
                attach_block_devices, network_info=None, evacuate=False,
                block_device_info=None, preserve_ephemeral=False,
                accel_uuids=None, reimage_boot_volume=False):
        if evacuate or reimage_boot_volume:
            # Evacuation and volume-backed rebuilds go Nova's default way.
            raise NotImplementedError()
        # Check the new image before the old container goes.
        self._images.resolve(context, image_meta, instance)
        instance.task_state = task_states.REBUILD_BLOCK_DEVICE_MAPPING
        instance.save(expected_task_state=[task_states.REBUILDING])
        instance.task_state = task_states.REBUILD_SPAWNING
        instance.save(
            expected_task_state=[task_states.REBUILD_BLOCK_DEVICE_MAPPING])
        self._remove(instance, network_info)
        self.spawn(context, instance, image_meta, injected_files,
                   admin_password, allocations, network_info=network_info)

    # -- power ------------------------------------------------------------

    def _stop(self, state, timeout):
        if state.status == 'paused':
            # A frozen process cannot handle SIGTERM.
            self._backend.unpause(state.id)
        if state.status in ('running', 'paused', 'restarting'):
            self._backend.stop(state.id, timeout)

    def power_off(self, instance, timeout=0, retry_interval=0):
        self._consoles.close(instance.uuid)
        state = self._get(instance)
        self._stop(state, timeout)
        self._unwire_network(instance, instance.get_network_info())

    def power_on(self, context, instance, network_info,
                 block_device_info=None, accel_info=None, share_info=None):
        state = self._get(instance)
        if state.status == 'paused':
            self._backend.unpause(state.id)
            return
        if state.status != 'running':
            self._start(instance, state.id, network_info)

    def reboot(self, context, instance, network_info, reboot_type,
               block_device_info=None, bad_volumes_callback=None,
               accel_info=None, share_info=None):
        state = self._get(instance)
        if reboot_type.upper() == 'HARD':
            if state.status == 'paused':
                self._backend.unpause(state.id)
            if state.status in ('running', 'paused', 'restarting'):
                self._backend.kill(state.id)
        else:
            self._stop(state, CONF.docker.stop_timeout)
        self._unwire_network(instance, network_info)
        self._start(instance, state.id, network_info)

    def pause(self, instance):
        self._backend.pause(self._get(instance).id)

    def unpause(self, instance):
        state = self._get(instance)
        if state.status == 'paused':
            self._backend.unpause(state.id)

    def suspend(self, context, instance):
        state = self._get(instance)
        if state.status == 'running':
            self._backend.pause(state.id)

    def resume(self, context, instance, network_info, block_device_info=None,
               share_info=None):
        state = self._get(instance)
        if state.status == 'paused':
            self._backend.unpause(state.id)
        elif state.status != 'running':
            self._start(instance, state.id, network_info)

    def resume_state_on_host_boot(self, context, instance, network_info,
                                  share_info, block_device_info=None):
        state = self._get(instance)
        if state.status != 'running':
            self.power_on(context, instance, network_info)

    def soft_delete(self, instance):
        self._consoles.close(instance.uuid)
        state = self._get(instance)
        self._stop(state, CONF.docker.stop_timeout)
        self._unwire_network(instance, instance.get_network_info())

    def restore(self, instance):
        state = self._get(instance)
        if state.status != 'running':
            self._start(instance, state.id, instance.get_network_info())

    def poll_rebooting_instances(self, timeout, instances):
        pass

    # -- resize and migration ------------------------------------------------
    #
    # On the same host the limits change while the container runs. To
    # another host the container's filesystem travels through a hidden
    # Glance image (see moves.py); the source keeps the stopped container
    # until Nova confirms (removed) or reverts (started again as it was).

    def migrate_disk_and_power_off(self, context, instance, dest, flavor,
                                   network_info, block_device_info=None,
                                   timeout=0, retry_interval=0):
        migration = self._migration(context, instance, 'migrating')
        # Without a migration record (a caller outside Nova's resize flow)
        # the address is all there is to go by.
        same = (migration.dest_compute == self._host if migration is not None
                else dest in (self._host, CONF.my_ip))
        if same:
            # Checked now so a bad target flavor fails before anything
            # changes. The container keeps running: its limits change in
            # finish_migration, while it runs.
            self._limits(instance, flavor)
            return ''
        target = migration.dest_compute if migration is not None else dest
        return self._move_out(context, instance, target, network_info,
                              timeout or CONF.docker.stop_timeout)

    def _move_out(self, context, instance, target, network_info, timeout):
        """Stop, commit and upload the container; the disk_info JSON.

        Any failure before the container is handed over starts it again
        (when it ran), deletes what was made and raises
        InstanceFaultRollback: Nova puts the server back ACTIVE (or SHUTOFF)
        where it was, with the reason as the action's fault.
        """
        state = self._find(instance)
        ref = moves.engine_ref(instance.uuid)
        running = state is not None and state.status in (
            'running', 'paused', 'restarting')
        image_id = None
        try:
            if state is None:
                raise nova_exc.InstanceNotFound(instance_id=instance.uuid)
            # The image first: a Glance that says no leaves the container
            # running untouched.
            image_id = self._moves.create(context, instance)
            if running:
                self._stop(state, timeout)
                self._unwire_network(instance, network_info)
            committed = self._backend.commit(state.id, moves.MOVE_REPOSITORY,
                                             instance.uuid)
            # Saved by id: the tarball names no repository, so loading it
            # re-points no tag of the destination's engine.
            self._moves.upload(context, image_id, committed)
            drive = None
            if self._backend.is_local():
                drive = inject.read_tree(os.path.join(
                    self._instance_dir(instance), 'config_drive'))
        except Exception as exc:
            LOG.error('Moving the container to %s failed: %s', target, exc,
                      instance=instance)
            self._moves.delete(context, image_id, instance)
            self._forget_image(ref, instance)
            if running:
                try:
                    self._start(instance, state.id, network_info)
                except Exception as start_exc:  # noqa: BLE001 - reported
                    LOG.error('Could not start the container again: %s',
                              start_exc, instance=instance)
            raise nova_exc.InstanceFaultRollback(
                inner_exception=nova_exc.ResizeError(
                    reason='moving the container to %s failed: %s'
                           % (target, exc)))
        # The engine keeps the stopped container, not its commit.
        self._forget_image(ref, instance)
        LOG.info('Container committed and uploaded as image %s for %s',
                 image_id, target, instance=instance)
        return moves.disk_info(image_id, self._host, drive)

    def _forget_image(self, ref, instance):
        try:
            self._backend.remove_image(ref)
        except Exception as exc:  # noqa: BLE001 - destroy tries again
            LOG.warning('Could not remove image %s: %s', ref, exc,
                        instance=instance)

    @staticmethod
    def _migration(context, instance, status):
        """The instance's migration in ``status``, or None."""
        from nova import objects
        try:
            return objects.Migration.get_by_instance_and_status(
                context, instance.uuid, status)
        except nova_exc.MigrationNotFoundByStatus:
            return None

    def _reverting_in_place(self, context, instance):
        """True unless the resize being reverted came from another host."""
        migration = self._migration(context, instance, 'reverting')
        return (migration is None or
                migration.source_compute == migration.dest_compute)

    def finish_migration(self, context, migration, instance, disk_info,
                         network_info, image_meta, resize_instance,
                         allocations, block_device_info=None, power_on=True,
                         share_info=None):
        moved = moves.parse_disk_info(disk_info)
        if moved is not None:
            self._move_in(context, instance, moved, image_meta,
                          network_info, power_on)
            return
        state = self._get(instance)
        self._backend.update_limits(state.id, self._limits(instance))
        if power_on and state.status not in ('running', 'paused'):
            self._start(instance, state.id, network_info)

    def _move_in(self, context, instance, moved, image_meta, network_info,
                 power_on):
        """Load the moved container's image, create and start it here."""
        ref = moves.engine_ref(instance.uuid)
        image_id = moved['image_id']
        try:
            loaded = self._moves.load(context, image_id, instance)
            self._backend.tag_image(loaded, moves.MOVE_REPOSITORY,
                                    instance.uuid)
        except Exception:
            self._forget_image(ref, instance)
            raise
        finally:
            # The engine has it now (or the move failed): Glance keeps no
            # copy of a tenant's container.
            self._moves.delete(context, image_id, instance)
        try:
            # The new flavor's limits (Nova set instance.flavor).
            container_id = self._create(
                context, instance, image_meta, None, network_info,
                image_ref=ref, drive_files=moved.get('config_drive'))
        except Exception:
            self._forget_image(ref, instance)
            raise
        if not power_on:
            return
        self._first_start(instance, container_id, network_info)
        LOG.info('Container moved in from %s and started',
                 moved.get('source_host'), instance=instance)

    def finish_revert_migration(self, context, instance, network_info,
                                migration, block_device_info=None,
                                power_on=True, share_info=None):
        # The same container: the one resized in place, or the one the
        # source kept stopped while it was away.
        state = self._get(instance)
        self._backend.update_limits(state.id, self._limits(instance))
        if power_on and state.status not in ('running', 'paused'):
            self._start(instance, state.id, network_info)

    def confirm_migration(self, context, migration, instance, network_info):
        if migration.source_compute == migration.dest_compute:
            return
        # The source's stopped container and every trace of it here.
        LOG.info('Removing the container left by the move to %s',
                 migration.dest_compute, instance=instance)
        self._remove(instance, network_info or [])

    # -- live migration: refused ----------------------------------------------

    LIVE_MIGRATION_REFUSED = (
        'the Docker driver cannot live-migrate a container: it needs CRIU '
        'checkpoint/restore, which does not work on this host; use a cold '
        'migration (openstack server migrate)')

    def check_can_live_migrate_destination(self, context, instance,
                                           src_compute_info,
                                           dst_compute_info,
                                           block_migration=False,
                                           disk_over_commit=False):
        raise nova_exc.MigrationPreCheckError(
            reason=self.LIVE_MIGRATION_REFUSED)

    def check_can_live_migrate_source(self, context, instance,
                                      dest_check_data,
                                      block_device_info=None):
        raise nova_exc.MigrationPreCheckError(
            reason=self.LIVE_MIGRATION_REFUSED)

    # -- console, diagnostics, snapshot -------------------------------------

    def get_console_output(self, context, instance):
        """The container's log (its tail); once its process has ended, a
        last line with the exit code, so a tenant sees how a server that
        went SHUTOFF by itself ended (``openstack console log show``)."""
        state = self._get(instance)
        data = self._backend.logs(state.id, CONF.docker.console_log_bytes)
        text = data.decode('utf-8', 'replace')
        if state.status in ('exited', 'dead'):
            ended = self._backend.inspect(state.id) or state
            if text and not text.endswith('\n'):
                text += '\n'
            text += exit_line(ended)
        return text

    def _open_terminal(self, uuid, command):
        """A terminal in the running container of instance ``uuid``."""
        found = self._backend.list_containers({LABEL_HOST: self._host,
                                               LABEL_UUID: uuid})
        if not found:
            raise exception.EngineError(action='open a terminal',
                                        reason='the instance has no '
                                               'container on this host')
        return self._backend.open_tty(found[0].id, command)

    def get_serial_console(self, context, instance):
        """A terminal in the container, through a port the driver listens
        on (see console.py); only for a running container."""
        if not CONF.serial_console.enabled:
            raise nova_exc.ConsoleTypeUnavailable(console_type='serial')
        state = self._get(instance)
        if state.status != 'running':
            # Stopped, paused, suspended: nothing to open a terminal in.
            LOG.info('No serial console: the container is %s', state.status,
                     instance=instance)
            self._consoles.close(instance.uuid)
            raise nova_exc.ConsoleTypeUnavailable(console_type='serial')
        host, port = self._consoles.open(instance.uuid)
        return console_type.ConsoleSerial(host=host, port=port)

    def get_diagnostics(self, instance):
        state = self._get(instance)
        return diagnostics.legacy(self._backend, state, instance)

    def get_instance_diagnostics(self, instance):
        state = self._get(instance)
        return diagnostics.instance(self._backend, state, instance,
                                    self.get_info(instance).state)

    # -- image cache --------------------------------------------------------

    def cache_image(self, context, image_id):
        """Nova's image pre-caching (aggregate image cache API): True when
        the image was loaded now, False when the engine had it."""
        return self._images.precache(context, image_id)

    def manage_image_cache(self, context, all_instances):
        self._cache_sweeper.sweep(all_instances)

    def snapshot(self, context, instance, image_id, update_task_state):
        state = self._find(instance)
        if state is None:
            raise nova_exc.InstanceNotRunning(instance_id=instance.uuid)
        self._snapshots.take(context, instance, state.id, image_id,
                             update_task_state)

    # -- misc ---------------------------------------------------------------

    def get_volume_connector(self, instance):
        return {'ip': CONF.my_block_storage_ip, 'initiator': None,
                'host': self._host}

    def instance_on_disk(self, instance):
        # A container's filesystem lives in this host's engine only.
        return False

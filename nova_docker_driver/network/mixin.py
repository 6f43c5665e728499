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

"""ComputeDriver networking for the Docker driver, as a mixin.

The driver provides one method, ``_container_pid(instance) -> int | None``
(the pid of the running container's first process, None when it does not
run), and calls these hooks:

- ``_wire_network(instance, network_info)`` after every container start
  (spawn, power_on, reboot, resume, unpause is not a start, rebuild): a
  started container has a fresh network namespace, so its interfaces are
  made again there. This is how interfaces survive reboots and power
  cycles. Idempotent: interfaces already in the namespace (found by MAC)
  are only re-configured.
- ``_plug_host_ends(instance, network_info)`` before a container's first
  start (spawn; ``_check_network`` first refuses bad port data): each
  port's pair is made and its host end attached to the switch while the
  engine creates the container, so the switch binds the port (and
  Neutron reports it up) meanwhile, as Nova's libvirt driver plugs VIFs
  before the domain runs. It returns its plan;
  ``_wire_network(..., plugged=plan)`` then only moves the peers into the
  container.
- ``_unwire_network(instance, network_info)`` on destroy: removes the host
  ends (and with them the container ends), also when the container is gone
  or network_info is stale, since every host end carries the instance uuid
  as its ifalias.

``_vifs_plugged(instance, network_info)`` is a context manager for the
driver's start path: it waits for Neutron's network-vif-plugged events of
ports that are not active yet, as Nova's own drivers do.
"""

import contextlib
import threading

from nova import exception as nova_exc
from oslo_config import cfg
from oslo_log import log as logging

from nova_docker_driver.network import exception
from nova_docker_driver.network import linux_net
from nova_docker_driver.network import metadata
from nova_docker_driver.network import ovsdb
from nova_docker_driver.network import plugger as plugger_mod
from nova_docker_driver.network import vif as vif_mod

CONF = cfg.CONF
LOG = logging.getLogger(__name__)

_LOCKS = {}
_LOCKS_GUARD = threading.Lock()


def _instance_lock(uuid):
    # Wiring reads the namespace, then picks names: two wirings of one
    # instance at once (attach during a reboot) must not interleave.
    with _LOCKS_GUARD:
        return _LOCKS.setdefault(uuid, threading.Lock())


def _free_ifname(preferred, used):
    if preferred not in used:
        return preferred
    n = 0
    while 'eth%d' % n in used:
        n += 1
    return 'eth%d' % n


def _metric(ifname):
    suffix = ifname[3:] if ifname.startswith('eth') else ''
    offset = int(suffix) if suffix.isdigit() else 0
    return CONF.docker_network.route_metric + offset


class _Wiring:
    """The pairs one wiring made so far (``made``) and the port at hand
    (``port``). An error in its block undoes them and is raised as
    VifWiringFailed naming that port; Nova's own errors as they are."""

    def __init__(self, instance):
        self.instance = instance
        self.made = []
        self.port = None

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None:
            return False
        for spec, strategy in self.made:
            try:
                strategy.unplug(spec)
            except Exception as err:  # keep the first error for the caller
                LOG.warning('Could not undo port %s: %s', spec.port_id, err)
        if isinstance(exc, nova_exc.NovaException) or not isinstance(
                exc, Exception):
            return False
        raise exception.VifWiringFailed(
            port_id=self.port, instance_uuid=self.instance.uuid,
            reason=str(exc)) from exc


class NetworkMixin:
    """plug_vifs / unplug_vifs / attach_interface / detach_interface.

    Needs ``self._container_pid(instance)`` from the driver class; it is
    deliberately not defined here, so the mixin's place in the bases never
    hides the driver's.
    """

    # ------------------------------------------------------ ComputeDriver
    def plug_vifs(self, instance, network_info):
        """Wire the ports into the running container (no-op when stopped).

        A stopped container has no network namespace; its ports are wired
        by ``_wire_network`` when it starts.
        """
        if self._container_pid(instance):
            self._wire_network(instance, network_info)

    def unplug_vifs(self, instance, network_info):
        for vif in network_info or []:
            self._unplug_one(vif, instance.uuid)

    def attach_interface(self, context, instance, image_meta, vif):
        pid = self._container_pid(instance)
        if not pid:
            # Nova stores the port in the info cache; the next start wires
            # it with the others.
            LOG.info('Port %s recorded; it is wired when the container '
                     'starts', vif.get('id'), instance=instance)
            return
        self._wire(instance, pid, [vif], keep_others=True)

    def detach_interface(self, context, instance, vif):
        pid = self._container_pid(instance)
        if pid and vif.get('address'):
            try:
                linux_net.delete_in_netns(pid, vif['address'])
            except (linux_net.NetlinkStepFailed,
                    linux_net.NetnsUnusable) as err:
                # The host-side delete below removes the pair anyway.
                LOG.warning('Could not delete port %s inside the container: '
                            '%s', vif.get('id'), err, instance=instance)
        self._unplug_one(vif, instance.uuid)

    # ------------------------------------------------------- driver hooks
    def _wire_network(self, instance, network_info, plugged=None):
        """Make every port of ``network_info`` exist in the container;
        ``plugged``: what ``_plug_host_ends`` returned for them."""
        pid = self._container_pid(instance)
        vifs = list(network_info or [])
        if not vifs:
            return
        if not pid:
            raise exception.ContainerNotRunning(
                port_id=vifs[0].get('id'), instance_uuid=instance.uuid)
        self._wire(instance, pid, vifs, keep_others=False, plugged=plugged)

    def _check_network(self, network_info):
        """Refuse bad port data before anything is made (the checks of
        a wiring, without its Neutron lookup)."""
        self._plan(list(network_info or []), lookup=False)

    def _plug_host_ends(self, instance, network_info):
        """Make the pair of every port and attach its host end, before
        the container runs; returns the wiring's plan for
        ``_wire_network(..., plugged=...)``. On failure nothing it made
        is left."""
        plan = self._plan(list(network_info or []))
        with _instance_lock(instance.uuid), _Wiring(instance) as wiring:
            for spec, strategy in plan:
                wiring.port = spec.port_id
                strategy.plug_host(spec, instance.uuid)
                wiring.made.append((spec, strategy))
        return plan

    def _unwire_network(self, instance, network_info):
        """Remove every host end of the instance; idempotent."""
        for vif in network_info or []:
            self._unplug_one(vif, instance.uuid)
        alias = plugger_mod.alias_for(instance.uuid)
        for netns in plugger_mod.host_namespaces():
            try:
                for name in linux_net.host_links_with_alias(alias,
                                                            netns=netns):
                    linux_net.delete_link(name, netns=netns)
            except linux_net.NetnsUnusable as err:
                # Nothing can be left in a namespace that is not there.
                LOG.warning('Could not sweep network namespace %s: %s',
                            netns, err, instance=instance)
        with _LOCKS_GUARD:
            _LOCKS.pop(instance.uuid, None)
        if ovsdb.reachable():
            # OVS ports outlive their links: sweep them by instance too.
            try:
                for name in ovsdb.ports_of_instance(instance.uuid):
                    ovsdb.del_port(name)
            except ovsdb.OvsUnavailable as err:
                LOG.warning('Could not remove OVS ports of the instance: '
                            '%s', err, instance=instance)

    @contextlib.contextmanager
    def _vifs_plugged(self, instance, network_info):
        """Wait for network-vif-plugged of inactive ports around the body."""
        timeout = CONF.vif_plugging_timeout
        events = []
        if timeout:
            events = [('network-vif-plugged', vif['id'])
                      for vif in network_info or []
                      if vif.get('active', True) is False]
        if not events:
            yield
            return

        def failed(event_name, instance):
            LOG.error('Neutron reported failure on event %s', event_name,
                      instance=instance)
            if CONF.vif_plugging_is_fatal:
                raise exception.VifWiringFailed(
                    port_id=event_name, instance_uuid=instance.uuid,
                    reason='Neutron reported the plug as failed')
            return True

        try:
            with self.virtapi.wait_for_instance_event(
                    instance, events, timeout=timeout,
                    error_callback=failed):
                yield
        except nova_exc.InstanceEventTimeout:
            if CONF.vif_plugging_is_fatal:
                raise exception.VifWiringFailed(
                    port_id=', '.join(tag for _n, tag in events),
                    instance_uuid=instance.uuid,
                    reason='no network-vif-plugged event from Neutron '
                           'within %d s' % timeout)
            LOG.warning('No network-vif-plugged within %d s; going on '
                        '(vif_plugging_is_fatal is false)', timeout,
                        instance=instance)

    # ------------------------------------------------------------ helpers
    @staticmethod
    def _plan(vifs, lookup=True):
        """(spec, strategy) of each VIF, all validated before any link is
        touched; ``lookup``: with the metadata routes (a Neutron call)."""
        plan = []
        proxies = metadata.proxy_addresses(vifs) if lookup else {}
        for vif in vifs:
            spec = vif_mod.from_vif(vif, proxies.get(
                (vif.get('network') or {}).get('id'), ()))
            strategy = plugger_mod.for_spec(spec)
            strategy.check(spec)
            plan.append((spec, strategy))
        return plan

    def _wire(self, instance, pid, vifs, keep_others, plugged=None):
        plan = self._plan(vifs) if plugged is None else plugged
        host_ready = {spec.port_id for spec, _strategy in plugged or ()}
        with _instance_lock(instance.uuid), _Wiring(instance) as wiring:
            wiring.port = plan[0][0].port_id
            links = linux_net.netns_links(pid)
            by_mac = {link['address']: link['ifname'] for link in links}
            used = {link['ifname'] for link in links}
            for position, (spec, strategy) in enumerate(plan):
                wiring.port = spec.port_id
                current = by_mac.get(spec.mac)
                if current:
                    strategy.refresh(spec, instance.uuid, pid, current,
                                     _metric(current))
                    continue
                preferred = ('eth%d' % len(used) if keep_others
                             else 'eth%d' % position)
                ifname = _free_ifname(preferred, used)
                if spec.port_id in host_ready:
                    strategy.plug_peer(spec, pid, ifname, _metric(ifname))
                else:
                    strategy.plug(spec, instance.uuid, pid, ifname,
                                  _metric(ifname))
                wiring.made.append((spec, strategy))
                used.add(ifname)

    @staticmethod
    def _unplug_one(vif, instance_uuid):
        port_id = vif.get('id')
        if not port_id:
            return
        name = vif.get('devname') or vif_mod.host_name(port_id)
        mine = plugger_mod.alias_for(instance_uuid)
        usable = []
        # nova-compute's namespace, and host_netns when set (the pair is
        # made in the first and its host end moved to the second).
        for netns in plugger_mod.host_namespaces():
            try:
                host = linux_net.host_link(name, netns=netns)
            except linux_net.NetnsUnusable as err:
                LOG.warning('Could not look for port %s in network '
                            'namespace %s: %s', port_id, netns, err)
                continue
            usable.append(netns)
            if host and host['alias'] and host['alias'] != mine:
                # The port has moved on to another instance on this host
                # (a detach here, an attach there): its links are not ours.
                LOG.info('Port %s now belongs to %s; left alone', port_id,
                         host['alias'])
                return
        if vif.get('type') == 'ovs' and ovsdb.reachable():
            try:
                ovsdb.del_port(name)
            except ovsdb.OvsUnavailable as err:
                LOG.warning('Could not remove OVS port %s: %s', name, err)
        for netns in reversed(usable):
            linux_net.delete_link(name, netns=netns)
        linux_net.delete_link(vif_mod.peer_name(port_id))

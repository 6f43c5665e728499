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

"""Netlink calls on the host and inside a container's network namespace.

Functions decorated with ``vif_plug.entrypoint`` are privileged: in
nova-compute they run in the privsep daemon, so their arguments and results
are plain data (str, int, list, dict) and their errors are
``NetlinkStepFailed`` / ``NetnsUnusable`` carrying a message. The plain
functions only read host links, which needs no privilege.

A container's namespace is entered by its ``/proc/<pid>/ns/net`` file from a
short-lived thread (setns changes only the calling thread's network
namespace), so the calling process never leaves the host namespace and no
child process is forked.

The host side may itself live in a named network namespace
(``/run/netns/<name>``, ``[docker_network] host_netns``): every host-side
function takes ``netns=None`` (the namespace of the calling process) or
such a name, entered the same way. Reading links of another namespace needs
CAP_SYS_ADMIN, so the lookups go through the privileged side then.
"""

import ctypes
import fcntl
import os
import socket
import struct
import threading

from pyroute2 import IPRoute
from pyroute2.netlink.exceptions import NetlinkError

from nova_docker_driver.network.privsep import vif_plug

CLONE_NEWNET = 0x40000000
IFA_F_NODAD = 0x02
RTNH_F_ONLINK = 0x04
AF_INET6 = 10
ENOENT = 2
ENODEV = 19
EEXIST = 17

#: Where ``ip netns add <name>`` mounts named network namespaces.
NETNS_DIR = '/run/netns'

# ethtool through its ioctl: struct ethtool_value {u32 cmd; u32 data} whose
# address goes in the ifr_data member of a struct ifreq.
SIOCETHTOOL = 0x8946
ETHTOOL_GTXCSUM = 0x16
ETHTOOL_STXCSUM = 0x17
_IFREQ_SIZE = 40

_libc = ctypes.CDLL(None, use_errno=True)


class NetlinkStepFailed(Exception):
    """One netlink step failed; the message names the step and the cause."""


class NetnsUnusable(Exception):
    """The container's namespace cannot be used (gone, or the host's own)."""


def _fail(step, err):
    if isinstance(err, NetlinkError):
        cause = '%s (errno %d)' % (os.strerror(err.code), err.code)
    else:
        cause = str(err)
    return NetlinkStepFailed('%s: %s' % (step, cause))


def _gone(err):
    """The link went meanwhile (its namespace died): that is no error."""
    return err.code in (ENODEV, ENOENT)


def _get_link(ipr, index):
    """The link at ``index``, or None when it is gone."""
    try:
        found = ipr.get_links(index)
    except NetlinkError as err:
        if _gone(err):
            return None
        raise
    return found[0] if found else None


# ---------------------------------------------------------------- host side
def netns_path(name):
    """The file of the named network namespace ``name``."""
    if (not name or '/' in name or name in ('.', '..') or
            '\0' in name):
        raise NetnsUnusable('%r is not a network namespace name' % (name,))
    return os.path.join(NETNS_DIR, name)


def _open_named_netns(name):
    path = netns_path(name)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as err:
        raise NetnsUnusable('cannot open network namespace %s (%s): %s'
                            % (name, path, err.strerror))
    return fd


def _on_host(netns, func, *args):
    """Run ``func(ipr, *args)`` in the host side's namespace.

    ``netns`` None: this process' own namespace; else the named one.
    """
    if netns is None:
        with IPRoute() as ipr:
            return func(ipr, *args)
    fd = _open_named_netns(netns)
    try:
        return _in_netns(fd, func, *args)
    finally:
        os.close(fd)


def _host_link(ipr, name):
    found = ipr.link_lookup(ifname=name)
    if not found:
        return None
    # A veth goes with its peer's namespace: a container stopping
    # between the lookup and the read takes the link along.
    link = _get_link(ipr, found[0])
    if link is None:
        return None
    master = link.get('master')
    master_link = _get_link(ipr, master) if master else None
    master_name = master_link.get('ifname') if master_link else None
    kind = link.get_nested('IFLA_LINKINFO', 'IFLA_INFO_KIND')
    return {
        'index': link['index'],
        'kind': kind,
        'master': master_name,
        'alias': link.get('IFLA_IFALIAS'),
        'state': link.get('state'),
        'mtu': link.get('IFLA_MTU'),
        # A veth whose peer lives in another namespace carries the
        # peer's namespace id; one whose peer is still here does not.
        'peer_elsewhere': link.get('IFLA_LINK_NETNSID') is not None,
    }


def _links_with_alias(ipr, alias):
    return sorted(link.get('ifname') for link in ipr.get_links()
                  if link.get('IFLA_IFALIAS') == alias)


#: The counters of a link that ``link_counters`` reports, as the kernel
#: names them (IFLA_STATS64), from the host end's point of view.
COUNTERS = ('rx_bytes', 'tx_bytes', 'rx_packets', 'tx_packets',
            'rx_dropped', 'tx_dropped', 'rx_errors', 'tx_errors')


def _counters_by_alias(ipr, prefix):
    found = {}
    for link in ipr.get_links():
        alias = link.get('IFLA_IFALIAS')
        if not alias or not alias.startswith(prefix):
            continue
        stats = link.get('IFLA_STATS64') or link.get('IFLA_STATS')
        entry = {'name': link.get('IFLA_IFNAME')}
        entry.update((k, stats.get(k) if stats else None) for k in COUNTERS)
        found.setdefault(alias, []).append(entry)
    for entries in found.values():
        entries.sort(key=lambda e: e['name'])
    return found


@vif_plug.entrypoint
def _host_link_in(netns, name):
    return _on_host(netns, _host_link, name)


@vif_plug.entrypoint
def _host_links_with_alias_in(netns, alias):
    return _on_host(netns, _links_with_alias, alias)


@vif_plug.entrypoint
def _link_counters_in(netns, prefix):
    return _on_host(netns, _counters_by_alias, prefix)


def host_link(name, netns=None):
    """The host link called ``name``: index, kind, master, alias; or None.

    ``netns``: the named namespace to look in (privileged); None: this
    process' own (no privilege needed).
    """
    if netns is not None:
        return _host_link_in(netns, name)
    with IPRoute() as ipr:
        return _host_link(ipr, name)


def host_links_with_alias(alias, netns=None):
    """Names of host links whose ifalias is ``alias``."""
    if netns is not None:
        return _host_links_with_alias_in(netns, alias)
    with IPRoute() as ipr:
        return _links_with_alias(ipr, alias)


def link_counters(prefix, netns=None):
    """Counters of every host link whose ifalias starts with ``prefix``.

    One netlink dump for all of them: {ifalias: [{'name': ifname,
    <COUNTERS>...}, ...]}, each list sorted by name. ``netns`` as in
    ``host_link``.
    """
    if netns is not None:
        return _link_counters_in(netns, prefix)
    with IPRoute() as ipr:
        return _counters_by_alias(ipr, prefix)


@vif_plug.entrypoint
def create_veth(host_name, peer_name, mtu, alias):
    """Create the pair ``host_name``/``peer_name`` on the host, both down."""
    with IPRoute() as ipr:
        try:
            ipr.link('add', ifname=host_name, kind='veth',
                     peer={'ifname': peer_name})
        except NetlinkError as err:
            raise _fail('create veth %s/%s' % (host_name, peer_name), err)
        try:
            for name in (host_name, peer_name):
                index = ipr.link_lookup(ifname=name)[0]
                if mtu:
                    ipr.link('set', index=index, mtu=mtu)
            # The alias ties the host end to its instance, so destroy finds
            # it even when Nova hands over no (or stale) network info.
            ipr.link('set', index=ipr.link_lookup(ifname=host_name)[0],
                     ifalias=alias)
        except NetlinkError as err:
            _delete(ipr, host_name)
            raise _fail('set mtu %s on veth %s' % (mtu, host_name), err)


def _set_alias(ipr, name, alias, netns):
    found = ipr.link_lookup(ifname=name)
    if not found:
        raise NetlinkStepFailed('host link %s vanished from network '
                                'namespace %s' % (name, netns))
    try:
        ipr.link('set', index=found[0], ifalias=alias)
    except NetlinkError as err:
        raise _fail('set alias of %s in network namespace %s' % (
            name, netns), err)


@vif_plug.entrypoint
def move_host_end(name, netns, alias):
    """Move host link ``name`` into the named namespace ``netns``.

    The link's ifalias is set again there (``alias``): nothing promises it
    survives the move. The link arrives down.
    """
    fd = _open_named_netns(netns)
    try:
        with IPRoute() as ipr:
            found = ipr.link_lookup(ifname=name)
            if not found:
                raise NetlinkStepFailed('host link %s vanished' % name)
            try:
                ipr.link('set', index=found[0], net_ns_fd=fd)
            except NetlinkError as err:
                raise _fail('move %s into network namespace %s' % (
                    name, netns), err)
        _in_netns(fd, _set_alias, name, alias, netns)
    finally:
        os.close(fd)


def _delete(ipr, name):
    found = ipr.link_lookup(ifname=name)
    if not found:
        return False
    try:
        ipr.link('del', index=found[0])
    except NetlinkError as err:
        # Gone meanwhile (its peer's namespace died): that is the goal.
        if _gone(err):
            return False
        raise _fail('delete link %s' % name, err)
    return True


@vif_plug.entrypoint
def delete_link(name, netns=None):
    """Delete host link ``name`` (a veth takes its peer along); idempotent."""
    return _on_host(netns, _delete, name)


def _ensure_bridge(ipr, name, create):
    found = ipr.link_lookup(ifname=name)
    created = False
    if not found:
        if not create:
            raise NetlinkStepFailed(
                'bridge %s does not exist and [docker_network] '
                'create_bridges is false' % name)
        try:
            ipr.link('add', ifname=name, kind='bridge')
        except NetlinkError as err:
            # Another plug created it at the same moment.
            if err.code != EEXIST:
                raise _fail('create bridge %s' % name, err)
        else:
            created = True
        found = ipr.link_lookup(ifname=name)
    try:
        ipr.link('set', index=found[0], state='up')
    except NetlinkError as err:
        raise _fail('set bridge %s up' % name, err)
    return created


@vif_plug.entrypoint
def ensure_bridge(name, create, netns=None):
    """Make sure bridge ``name`` exists and is up; True if it was created."""
    return _on_host(netns, _ensure_bridge, name, create)


def _set_host_end(ipr, name, master):
    found = ipr.link_lookup(ifname=name)
    if not found:
        raise NetlinkStepFailed('host link %s vanished' % name)
    if master:
        bridge = ipr.link_lookup(ifname=master)
        if not bridge:
            raise NetlinkStepFailed('bridge %s vanished' % master)
        try:
            ipr.link('set', index=found[0], master=bridge[0])
        except NetlinkError as err:
            raise _fail('add %s to bridge %s' % (name, master), err)
    try:
        ipr.link('set', index=found[0], state='up')
    except NetlinkError as err:
        raise _fail('set %s up' % name, err)


@vif_plug.entrypoint
def set_host_end(name, master=None, netns=None):
    """Enslave host link ``name`` to bridge ``master`` (if any); set it up."""
    return _on_host(netns, _set_host_end, name, master)


# ------------------------------------------------------ container namespace
def _open_netns(pid):
    path = '/proc/%d/ns/net' % int(pid)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError as err:
        raise NetnsUnusable('cannot open %s: %s' % (path, err.strerror))
    mine = os.stat('/proc/self/ns/net')
    theirs = os.fstat(fd)
    if (mine.st_dev, mine.st_ino) == (theirs.st_dev, theirs.st_ino):
        os.close(fd)
        # A container on the host network: wiring it would reconfigure
        # the host itself.
        raise NetnsUnusable('process %d shares the host network namespace'
                            % pid)
    return fd


def _in_netns(fd, func, *args):
    """Run ``func(ipr, *args)`` with an IPRoute bound to namespace ``fd``."""
    result = {}

    def worker():
        try:
            if _libc.setns(fd, CLONE_NEWNET) != 0:
                err = ctypes.get_errno()
                raise NetnsUnusable('setns: %s' % os.strerror(err))
            # The netlink socket is created here, in the container's
            # namespace, and keeps pointing there.
            with IPRoute() as ipr:
                result['value'] = func(ipr, *args)
        except BaseException as exc:  # handed to the caller's thread
            result['error'] = exc

    thread = threading.Thread(target=worker, name='netns-%d' % fd)
    thread.start()
    thread.join()
    if 'error' in result:
        raise result['error']
    return result.get('value')


def _with_netns(pid, func, *args):
    fd = _open_netns(pid)
    try:
        return _in_netns(fd, func, *args)
    finally:
        os.close(fd)


def _links(ipr):
    return [{'ifname': link.get('ifname'),
             'address': (link.get('address') or '').lower(),
             'index': link['index']}
            for link in ipr.get_links() if link.get('ifname') != 'lo']


def _ethtool_value(ifname, cmd, data=0):
    """One ethtool_value ioctl on ``ifname``; returns the data word.

    The socket is made here, so the ioctl applies to the namespace of the
    calling thread.
    """
    value = ctypes.create_string_buffer(struct.pack('=II', cmd, data), 8)
    name = ifname.encode()
    if len(name) > 15:
        raise OSError(22, 'interface name too long: %s' % ifname)
    ifreq = struct.pack('16sP', name, ctypes.addressof(value))
    ifreq += b'\0' * (_IFREQ_SIZE - len(ifreq))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        fcntl.ioctl(sock.fileno(), SIOCETHTOOL, ifreq)
    return struct.unpack('=II', value.raw)[1]


def _enable_ipv6(ifname):
    # Docker turns IPv6 off in containers without an IPv6 network; the
    # sysctl tree under /proc/sys/net is the one of this thread's namespace.
    path = '/proc/sys/net/ipv6/conf/%s/disable_ipv6' % ifname
    if os.path.exists(path):
        with open(path, 'w') as f:
            f.write('0')


def _configure(ipr, index, config):
    ifname = config['ifname']
    link = ipr.get_links(index)[0]
    try:
        if link.get('ifname') != ifname:
            ipr.link('set', index=index, state='down')
            ipr.link('set', index=index, ifname=ifname)
        attrs = {'address': config['mac']}
        if config.get('mtu'):
            attrs['mtu'] = config['mtu']
        ipr.link('set', index=index, **attrs)
    except NetlinkError as err:
        raise _fail('set name %s, mac %s, mtu %s' % (
            ifname, config['mac'], config.get('mtu')), err)
    if config.get('tx_checksum_off'):
        try:
            _ethtool_value(ifname, ETHTOOL_STXCSUM, 0)
        except OSError as err:
            raise NetlinkStepFailed(
                'turn tx checksum offload off on %s: %s (errno %s)' % (
                    ifname, err.strerror or err, err.errno))
    if any(a['version'] == 6 for a in config['addresses']):
        _enable_ipv6(ifname)
    try:
        ipr.link('set', index=index, state='up')
        lo = ipr.link_lookup(ifname='lo')
        if lo:
            ipr.link('set', index=lo[0], state='up')
    except NetlinkError as err:
        raise _fail('set %s and lo up' % ifname, err)

    wanted = {(a['address'], a['prefixlen']) for a in config['addresses']}
    for addr in ipr.get_addr(index=index):
        have = (addr.get('IFA_ADDRESS'), addr['prefixlen'])
        # Only global addresses are ours to manage (link-local stays).
        if addr['scope'] == 0 and have not in wanted:
            try:
                ipr.addr('del', index=index, address=have[0],
                         prefixlen=have[1])
            except NetlinkError as err:
                raise _fail('remove stale address %s/%s' % have, err)
    for a in config['addresses']:
        kwargs = {'index': index, 'address': a['address'],
                  'prefixlen': a['prefixlen']}
        if a['version'] == 4:
            if a.get('broadcast'):
                kwargs['broadcast'] = a['broadcast']
        else:
            # Neutron guarantees the address is unique on the network;
            # skipping DAD makes it usable (and routable) at once.
            kwargs['flags'] = IFA_F_NODAD
        try:
            ipr.addr('replace', **kwargs)
        except NetlinkError as err:
            raise _fail('add address %s/%s to %s' % (
                a['address'], a['prefixlen'], ifname), err)

    for r in config['routes']:
        kwargs = {'dst': r['dst'], 'oif': index,
                  'priority': config['metric']}
        if r['version'] == 6:
            kwargs['family'] = AF_INET6
        if r.get('gateway'):
            kwargs['gateway'] = r['gateway']
        if r.get('onlink'):
            kwargs['flags'] = RTNH_F_ONLINK
        try:
            ipr.route('replace', **kwargs)
        except NetlinkError as err:
            raise _fail('add route %s via %s dev %s' % (
                r['dst'], r.get('gateway'), ifname), err)


def _configure_by_name(ipr, name, config):
    found = ipr.link_lookup(ifname=name)
    if not found:
        raise NetlinkStepFailed('no link %s in the container' % name)
    _configure(ipr, found[0], config)


@vif_plug.entrypoint
def netns_links(pid):
    """Links (but lo) in the namespace of process ``pid``."""
    return _with_netns(pid, _links)


@vif_plug.entrypoint
def wire_peer(pid, peer_name, config):
    """Move host link ``peer_name`` into ``pid``'s namespace; configure it.

    ``config``: ifname, mac, mtu, metric, tx_checksum_off, addresses
    [{address, prefixlen, version, broadcast}], routes [{dst, gateway,
    version, onlink}].
    """
    fd = _open_netns(pid)
    try:
        with IPRoute() as ipr:
            found = ipr.link_lookup(ifname=peer_name)
            if not found:
                raise NetlinkStepFailed('host link %s vanished' % peer_name)
            try:
                ipr.link('set', index=found[0], net_ns_fd=fd)
            except NetlinkError as err:
                raise _fail('move %s into the container' % peer_name, err)
        _in_netns(fd, _configure_by_name, peer_name, config)
    finally:
        os.close(fd)


@vif_plug.entrypoint
def configure_in_netns(pid, current_name, config):
    """Re-apply ``config`` to link ``current_name`` already in the netns."""
    return _with_netns(pid, _configure_by_name, current_name, config)


def _delete_by_mac(ipr, mac):
    for link in _links(ipr):
        if link['address'] == mac.lower():
            try:
                ipr.link('del', index=link['index'])
            except NetlinkError as err:
                if _gone(err):
                    return False
                raise _fail('delete %s' % link['ifname'], err)
            return True
    return False


@vif_plug.entrypoint
def delete_in_netns(pid, mac):
    """Delete the link with ``mac`` in ``pid``'s namespace; idempotent."""
    return _with_netns(pid, _delete_by_mac, mac)


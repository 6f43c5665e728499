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

"""The privsep context: its capabilities and the rootwrap filter we ship."""

import os

os.environ.setdefault('OS_NOVA_DISABLE_EVENTLET_PATCHING', '1')

import nova.tests.functional  # noqa: E402,F401,I100

import subprocess  # noqa: E402
import sys  # noqa: E402

from oslo_privsep import capabilities as caps  # noqa: E402
from oslo_rootwrap import wrapper  # noqa: E402

from nova_docker_driver.network import linux_net  # noqa: E402
from nova_docker_driver.network import ovsdb  # noqa: E402
from nova_docker_driver.network import privsep  # noqa: E402


def test_capabilities_are_the_networking_ones():
    # In a process of its own, as nova-compute loads it: Nova's test
    # fixtures, run earlier in this process, reset the option's default.
    code = ('from oslo_config import cfg\n'
            'from nova_docker_driver.network import conf, privsep\n'
            'print(sorted(cfg.CONF[conf.PRIVSEP_SECTION].capabilities))\n')
    out = subprocess.run([sys.executable, '-c', code], check=True,
                         capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == str(sorted(
        [caps.CAP_NET_ADMIN, caps.CAP_SYS_ADMIN, caps.CAP_SYS_PTRACE]))


def test_every_privileged_call_belongs_to_the_context():
    for func in (linux_net.create_veth, linux_net.delete_link,
                 linux_net.move_host_end, linux_net._host_link_in,
                 linux_net._host_links_with_alias_in,
                 linux_net.ensure_bridge, linux_net.set_host_end,
                 linux_net.netns_links, linux_net.wire_peer,
                 linux_net.configure_in_netns, linux_net.delete_in_netns,
                 ovsdb.vsctl):
        assert privsep.vif_plug.is_entrypoint(func), func


def test_nova_rootwrap_admits_our_helper_without_a_filter_file():
    # oslo.rootwrap always allows privsep-helper, whatever the context, so
    # nova-compute's usual root helper starts ours with no extra filter.
    command = ['privsep-helper', '--config-file', '/etc/nova/nova.conf',
               '--privsep_context', privsep.vif_plug.pypath,
               '--privsep_sock_path', '/tmp/tmpab12/privsep.sock']
    bindir = [os.path.dirname(sys.executable)]
    assert wrapper.match_filter(wrapper.load_filters([]), command,
                                bindir) is not None

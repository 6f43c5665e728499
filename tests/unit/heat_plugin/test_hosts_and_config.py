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

"""Host registry parsing, Nova discovery mapping, options, policy defaults,
error scrubbing, and the generated samples in etc/heat_plugin."""

from tests.rig import heat as heat_rig  # noqa: F401,I100 - first, see the rig

import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402

import pytest  # noqa: E402

from heat_plugin import conf  # noqa: E402
from heat_plugin import docker_client  # noqa: E402
from heat_plugin import exception  # noqa: E402
from heat_plugin import hosts  # noqa: E402
from heat_plugin import policy  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))


def test_parse_hosts():
    assert hosts.parse_hosts(['a=unix:///x.sock', ' b = tcp://1.2.3.4:2376']
                             ) == {'a': 'unix:///x.sock',
                                   'b': 'tcp://1.2.3.4:2376'}
    for bad in (['noequals'], ['=tcp://x'], ['a=u', 'a=v']):
        with pytest.raises(exception.InvalidProperty) as err:
            hosts.parse_hosts(bad)
        assert '[docker_hosts] hosts' in str(err.value)


def test_hosts_from_nova_hypervisors():
    records = [
        {'hypervisor_type': 'docker', 'hypervisor_hostname': 'c1',
         'host_ip': '10.0.0.1', 'state': 'up', 'status': 'enabled'},
        {'hypervisor_type': 'QEMU', 'hypervisor_hostname': 'kvm1',
         'host_ip': '10.0.0.2', 'state': 'up', 'status': 'enabled'},
        {'hypervisor_type': 'docker', 'hypervisor_hostname': 'c2',
         'host_ip': '10.0.0.3', 'state': 'down', 'status': 'enabled'},
        {'hypervisor_type': 'docker', 'hypervisor_hostname': 'c3',
         'host_ip': '10.0.0.4', 'state': 'up', 'status': 'disabled'},
    ]
    assert hosts.hosts_from_hypervisors(
        records, 'tcp://{host_ip}:2376') == {'c1': 'tcp://10.0.0.1:2376'}


def test_emulated_architectures_from_engine_labels(caplog):
    label = 'docker_emulated_architectures'
    assert hosts.emulated_architectures('h', {}) == frozenset()
    assert hosts.emulated_architectures(
        'h', {label: 'amd64, arm64,'}) == frozenset({'x86_64', 'aarch64'})
    # An unknown name costs only itself (as in Nova's ArchitectureFilter),
    # loudly; it does not take the host out of scheduling.
    assert hosts.emulated_architectures(
        'h1', {label: 'riscv128,arm64'}) == frozenset({'aarch64'})
    assert 'h1 declares unknown emulated architectures riscv128' in (
        caplog.text)


def test_demand_of_limits():
    assert hosts.demand_of({}) == (0, 0)
    assert hosts.demand_of({'cpu_quota': 150000, 'cpu_period': 100000,
                            'memory': 3 * 2 ** 20 + 1}) == (2, 4)


def test_live_demand_reads_host_config():
    # What docker inspect says for no limits, --cpus, and quota/period.
    assert hosts.live_demand({'CpuQuota': 0, 'CpuPeriod': 0, 'Memory': 0,
                              'NanoCpus': 0}) == (0, 0)
    assert hosts.live_demand({'CpuQuota': -1, 'Memory': -1}) == (0, 0)
    assert hosts.live_demand({'NanoCpus': 1500000000,
                              'Memory': 2 ** 26}) == (2, 64)
    assert hosts.live_demand({'CpuQuota': 250000, 'CpuPeriod': 0,
                              'Memory': 2 ** 20}) == (3, 1)
    assert hosts.live_demand({'CpuQuota': 50000, 'CpuPeriod': 20000}) == (3, 0)


def test_endpoints():
    conf.register_opts()
    assert docker_client.make_endpoint('unix:///s').tls is None
    with pytest.raises(exception.EndpointError):
        docker_client.make_endpoint('ftp://x')
    ep = docker_client.make_endpoint(
        'tcp://h:1', docker_client.TLSFiles('/ca', '/c', '/k', True))
    assert str(ep) == 'tcp://h:1'
    assert '/k' in ep.secrets()


def test_scrub():
    assert exception.scrub('open /etc/k.pem failed',
                           ['/etc/k.pem']) == 'open <redacted> failed'


def test_policy_defaults_are_admin_only():
    rules = {r.name: r.check_str for r in policy.list_rules()}
    assert set(rules.values()) == {'role:admin'}
    assert {policy.PRIVILEGED, policy.HOST_BINDS, policy.DEVICES,
            policy.CAP_ADD, policy.HOST_NETWORK, policy.HOST_PID,
            policy.HOST_IPC, policy.ENDPOINT} <= set(rules)


def test_list_opts_secret_tls():
    opts = dict((g.name, o) for g, o in conf.list_opts())
    secret = {o.name for o in opts['heat_docker'] if o.secret}
    assert secret == {'tls_ca_cert', 'tls_client_cert', 'tls_client_key'}


@pytest.mark.parametrize('tool,config,sample', [
    ('oslo-config-generator', 'heat-plugin-config-generator.conf',
     'heat_plugin.conf.sample'),
    ('oslopolicy-sample-generator', 'heat-plugin-policy-generator.conf',
     'policy.yaml.sample'),
])
def test_samples_are_up_to_date(tool, config, sample):
    # Not tmp_path: pytest's tmp cleanup walks other users' leftovers.
    with tempfile.TemporaryDirectory() as tmp:
        _check_sample(tool, config, sample, os.path.join(tmp, sample))


def _check_sample(tool, config, sample, out):
    exe = os.path.join(os.path.dirname(sys.executable), tool)
    subprocess.check_call([exe, '--config-file',
                           os.path.join(ROOT, 'etc', 'heat_plugin', config),
                           '--output-file', out], cwd=ROOT)
    with open(os.path.join(ROOT, 'etc', 'heat_plugin', sample)) as f, \
            open(out) as g:
        assert g.read() == f.read(), 'regenerate with %s' % tool

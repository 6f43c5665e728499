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

"""Run by test_ceilometer_side.py in the telemetry venv (Ceilometer's).

The project's discovery and pollsters, loaded through their entry points,
poll one Nova instance and one Heat container of a stand-in engine (the
fakes of test_reader / test_containers) with Ceilometer's own pollster
code and publish the samples with Ceilometer's own Prometheus exporter.
Writes JSON to the file named by its argument: each sample's exporter
labels and the exporter's text.
"""

import json
import sys

from ceilometer.polling import prom_exporter
from ceilometer.publisher import utils as publisher_utils
from ceilometer import service
import prometheus_client
from stevedore import extension

from heat_plugin import labels as heat_labels
from nova_docker_driver.telemetry import reader as reader_mod
from tests.unit.nova_docker_driver.telemetry.fakes import EngineAPI

UUID = '3f2c0a9e-0000-4000-8000-000000000001'
MiB = 1024 * 1024
STATS = {'cpu_stats': {'cpu_usage': {'total_usage': 5 * 10 ** 9},
                       'online_cpus': 2},
         'memory_stats': {'usage': 20 * MiB, 'limit': 64 * MiB},
         'networks': {'eth0': {'rx_bytes': 100, 'tx_bytes': 200}}}


class Server:
    """The attributes of a novaclient Server the compute pollsters read."""

    def __init__(self, **attrs):
        self.__dict__.update(attrs)


def nova_server():
    server = Server(
        id=UUID, name='web-1', tenant_id='p-nova', user_id='u-nova',
        hostId='h' * 56, status='ACTIVE', image={'id': 'img'},
        flavor={'name': 'docker.tiny', 'vcpus': 1, 'ram': 64, 'disk': 0,
                'ephemeral': 0},
        metadata={'metering.server_group': 'group-nova'})
    setattr(server, 'OS-EXT-SRV-ATTR:instance_name', 'instance-00000001')
    return server


def main():
    conf = service.prepare_service([], [])
    conf.set_override('host', 'compute1')
    # The agent's plug-ins, as ceilometer-polling loads them.
    discovery = extension.ExtensionManager(
        'ceilometer.discover.docker', invoke_on_load=True,
        invoke_args=(conf,))['heat_containers'].obj
    pollsters = extension.ExtensionManager(
        'ceilometer.poll.docker', invoke_on_load=True,
        invoke_args=(conf,))
    # One stand-in engine behind both readers of the agent's inspector.
    engine = EngineAPI()
    engine.add('n1', UUID, stats=STATS)
    engine.add_heat('h1', {heat_labels.LABEL_PROJECT: 'p-heat',
                           heat_labels.LABEL_USER: 'u-heat',
                           heat_labels.LABEL_RESOURCE: 'member',
                           'metering.server_group': 'group-heat'},
                    stats=STATS, name='member-ctr',
                    host_config={'NanoCpus': 10 ** 9, 'Memory': 64 * MiB})
    inspector = discovery.inspector
    inspector.reader = reader_mod.Reader(engine, 'compute1')
    inspector.heat = reader_mod.HeatContainers(engine)
    resources = [nova_server()] + discovery.discover(None)
    out = {'samples': []}
    for name in ('cpu', 'memory.usage', 'vcpus', 'network.incoming.bytes'):
        pollster = pollsters[name].obj
        pollster.setup_environment()
        samples = [publisher_utils.meter_message_from_counter(s, 'secret')
                   for s in pollster.get_samples(None, {}, resources)]
        prom_exporter.collect_metrics(samples)
        for s in samples:
            labels = prom_exporter._gen_labels(s)
            out['samples'].append({
                'meter': name, 'volume': s['counter_volume'],
                'labels': dict(zip(labels['keys'], labels['values'])),
                'keys': labels['keys']})
    out['exported'] = prometheus_client.generate_latest(
        prom_exporter.CEILOMETER_REGISTRY).decode()
    with open(sys.argv[1], 'w') as f:
        json.dump(out, f)


if __name__ == '__main__':
    main()

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

"""Ceilometer's own code on the project's discovery and pollsters.

Ceilometer lives in .venv-telemetry (and DevStack's venv), not in the venv
running the tests: ceilometer_side.py runs there, polls a Nova instance and
a Heat container of a stand-in engine through the entry points, and
publishes with Ceilometer's Prometheus exporter; this checks what came out.
"""

import json
import os
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.dirname(os.path.abspath(__file__))))))
TPYTHON = os.path.join(REPO, '.venv-telemetry', 'bin', 'python')


@pytest.fixture(scope='module')
def polled(tmp_path_factory):
    if not os.path.exists(TPYTHON):
        pytest.skip('needs .venv-telemetry (make venv-telemetry)')
    out = tmp_path_factory.mktemp('ceilometer') / 'polled.json'
    proc = subprocess.run(
        [TPYTHON, '-m', 'tests.unit.nova_docker_driver.telemetry.'
         'ceilometer_side', str(out)], cwd=REPO, capture_output=True,
        text=True, timeout=120)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-3000:]
    return json.loads(out.read_text())


def _by(polled, meter, project):
    return [s for s in polled['samples'] if s['meter'] == meter
            and s['labels']['project'] == project]


def test_a_containers_samples_have_an_instances_label_names(polled):
    for meter in ('cpu', 'memory.usage', 'vcpus'):
        (nova,) = _by(polled, meter, 'p-nova')
        (heat,) = _by(polled, meter, 'p-heat')
        # Ceilometer's exporter keeps one list of label names per meter:
        # a sample with other names would not be published.
        assert heat['keys'] == nova['keys']


def test_a_containers_samples_carry_its_group_project_and_user(polled):
    (cpu,) = _by(polled, 'cpu', 'p-heat')
    assert cpu['volume'] == 5 * 10 ** 9
    assert {k: cpu['labels'][k] for k in (
        'resource', 'user', 'server_group', 'unit', 'resource_name')} == {
        'resource': 'h1', 'user': 'u-heat', 'server_group': 'group-heat',
        'unit': 'ns', 'resource_name': 'member:member-ctr'}
    (usage,) = _by(polled, 'memory.usage', 'p-heat')
    assert usage['volume'] == 20.0
    (rx,) = _by(polled, 'network.incoming.bytes', 'p-heat')
    assert (rx['volume'], rx['labels']['resource']) == (
        100, 'member-ctr-h1-eth0')


def test_the_exporter_publishes_both_in_one_series_family(polled):
    lines = [line for line in polled['exported'].splitlines()
             if line.startswith('ceilometer_cpu{')]
    assert len(lines) == 2
    assert any('server_group="group-heat"' in line
               and 'project="p-heat"' in line for line in lines)
    assert any('server_group="group-nova"' in line for line in lines)

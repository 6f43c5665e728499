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

"""OVN that cannot start, or is down, is one line: the all-in-one's own
ovsdb-servers for the northbound and southbound databases (Debian's
ovn-central), in a temporary folder, started as the cloud starts them."""


import pytest

from tests.functional.devstack.conftest import start_error_with_port_held
from tests.functional.devstack.conftest import temp_layout

from tools.aio import cloud as cloud_mod
from tools.aio import ovn
from tools.aio import procs
from tools.aio import services


@pytest.fixture
def lay(tmp_path):
    # The test holds ovn-sb's port itself: both must be free.
    lay = temp_layout(tmp_path, 'ovn-nb', 'ovn-sb')
    ovn.create_databases(lay)
    yield lay
    for svc in ovn.central_services(lay, services.Service):
        procs.Process(lay, svc.name).stop()


def _start_central(lay):
    cloud = cloud_mod.Cloud(lay, log=lambda *a: None)
    cloud._start_backends(ovn.central_services(lay, services.Service))


def test_the_central_databases_start_and_answer(lay):
    _start_central(lay)
    assert services.tcp_open(lay.port('ovn-nb'))
    assert services.tcp_open(lay.port('ovn-sb'))


def test_a_broken_database_is_one_line_naming_it_and_its_log(lay):
    with open(ovn.central_dir(lay) + '/ovnnb_db.db', 'w') as f:
        f.write('not an ovsdb file\n')
    with pytest.raises(cloud_mod.StartError) as err:
        _start_central(lay)
    text = str(err.value)
    assert '\n' not in text
    assert text.startswith('OVN is down: ovn-nb exited during start (')
    assert procs.Process(lay, 'ovn-nb').logfile in text
    assert text.endswith('then python -m tools.aio start')


def test_a_port_held_by_another_process_is_one_line(lay):
    text = start_error_with_port_held(lay.port('ovn-sb'), lambda: _start_central(lay))
    assert text.startswith('OVN is down: ovn-sb cannot listen on '
                           '127.0.0.1:%d' % lay.port('ovn-sb'))
    assert not procs.Process(lay, 'ovn-sb').running()


def test_network_down_names_what_is_not_running(lay):
    cloud = cloud_mod.Cloud(lay, log=lambda *a: None)
    text = cloud.network_down()
    assert '\n' not in text
    assert text.startswith('OVN of the all-in-one is down (ovn-nb, ovn-sb, ')
    assert 'ovn-controller-compute1' in text
    assert text.endswith('start it with python -m tools.aio start '
                         '(or make run)')


def test_the_southbound_database_is_ready_once_northd_has_written_it(lay):
    # The chassis start only then: ovn-controller 23.03 may crash on a
    # southbound database without its SB_Global row.
    _start_central(lay)
    assert not ovn.southbound_ready(lay)
    cloud = cloud_mod.Cloud(lay, log=lambda *a: None)
    northd = [svc for svc in ovn.network_services(lay, services.Service)
              if svc.name == 'ovn-northd']
    try:
        cloud._start_wave(northd)
        cloud._wait(lambda: ovn.southbound_ready(lay), 'no SB_Global',
                    timeout=30)
    finally:
        procs.Process(lay, 'ovn-northd').stop()

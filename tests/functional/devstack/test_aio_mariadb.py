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

"""The all-in-one's MariaDB on its own: a real private server (Debian's
mariadb-server) in a temporary folder, started and stopped as the cloud
does it, with its users, its idempotent start, its recovery after a kill
and its one-line errors."""

import os
import signal
import subprocess
import time

import pymysql
import pytest

from tests.functional.devstack.conftest import start_error_with_port_held
from tests.functional.devstack.conftest import temp_layout
from tools.aio import cloud as cloud_mod
from tools.aio import mariadb
from tools.aio import procs
from tools.aio import services


@pytest.fixture
def lay(tmp_path):
    lay = temp_layout(tmp_path, 'mariadb')
    mariadb.write_config(lay)
    yield lay
    procs.Process(lay, 'mariadb').stop()


def _server(lay):
    (svc,) = [s for s in services.table(lay)[0] if s.name == 'mariadb']
    return svc


def _start(lay):
    cloud_mod.Cloud(lay, log=lambda *a: None)._start_backends([_server(lay)])
    return procs.Process(lay, 'mariadb').pid()


def _connect(lay, user, database):
    return pymysql.connect(host='127.0.0.1', port=lay.port('mariadb'),
                           user=user, password=mariadb.PASSWORD,
                           database=database, autocommit=True)


def _query(conn, text):
    with conn.cursor() as cur:
        cur.execute(text)
        return cur.fetchall()


def test_private_server_users_idempotent_start_and_recovery(lay):
    paths = mariadb.Paths(lay)
    pid = _start(lay)
    mariadb.create_databases(lay)
    mariadb.create_databases(lay)  # a second start's call: no error
    # The cloud's own server, not the system's.
    root = mariadb.sql(lay, 'SELECT @@datadir, @@socket, @@port, '
                            '@@bind_address').split('\t')
    assert [v.strip() for v in root] == [
        paths.datadir + '/', paths.socket, str(lay.port('mariadb')),
        '127.0.0.1']
    out = subprocess.run(['ss', '-Hltn', 'sport = :%d' % lay.port('mariadb')],
                         capture_output=True, text=True).stdout
    assert out.strip() and all(' 127.0.0.1:' in line
                               for line in out.splitlines()), out
    # A service's user works in its databases and sees no one else's.
    nova = _connect(lay, 'nova', 'nova_cell1')
    _query(nova, 'CREATE TABLE kept (n INT)')
    _query(nova, 'INSERT INTO kept VALUES (42)')
    assert {r[0] for r in _query(nova, 'SHOW DATABASES')} == {
        'information_schema', 'nova_api', 'nova_cell0', 'nova_cell1'}
    nova.close()
    with pytest.raises(pymysql.err.OperationalError) as err:
        _connect(lay, 'glance', 'nova_cell1')
    assert err.value.args[0] == 1044  # access denied to the database
    with pytest.raises(pymysql.err.OperationalError) as err:
        pymysql.connect(host='127.0.0.1', port=lay.port('mariadb'),
                        user='root', password='')
    assert err.value.args[0] == 1045  # root: only through the socket
    # Start while running: the same server.
    assert _start(lay) == pid
    # Killed: the pid file and the socket are stale; start recovers, and
    # the committed row is there.
    os.killpg(pid, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while procs.Process(lay, 'mariadb').running():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    assert os.path.exists(paths.socket)
    new = _start(lay)
    assert new != pid
    assert _query(_connect(lay, 'nova', 'nova_cell1'),
                  'SELECT n FROM kept') == ((42,),)
    assert procs.Process(lay, 'mariadb').stop() is True
    assert not services.tcp_open(lay.port('mariadb'))
    assert procs.group_members(new) == []


def test_a_server_that_does_not_start_is_one_line(lay):
    mariadb.initialise(lay)
    with open(mariadb.Paths(lay).option_file, 'a') as f:
        f.write('[mysqld]\nno-such-option = 1\n')
    with pytest.raises(cloud_mod.StartError) as err:
        _start(lay)
    text = str(err.value)
    assert '\n' not in text
    assert text.startswith('MariaDB is down: it did not start (')
    assert 'no-such-option' in text and mariadb.Paths(lay).log in text


def test_a_port_held_by_another_process_is_one_line(lay):
    text = start_error_with_port_held(lay.port('mariadb'), lambda: _start(lay))
    assert text.startswith('MariaDB cannot listen on 127.0.0.1:%d'
                           % lay.port('mariadb'))
    # Nothing was made or started.
    assert not os.path.exists(mariadb.Paths(lay).datadir)
    assert not procs.Process(lay, 'mariadb').running()


def test_an_interrupted_first_initialisation_is_redone(lay):
    paths = mariadb.Paths(lay)
    # What a killed mariadb-install-db leaves: a half-made folder beside.
    os.makedirs(os.path.join(paths.datadir + '.new', 'mysql'))
    assert mariadb.initialise(lay) is True
    assert not os.path.exists(paths.datadir + '.new')
    assert os.path.exists(os.path.join(paths.datadir, 'mysql',
                                       'global_priv.frm'))
    assert mariadb.initialise(lay) is False

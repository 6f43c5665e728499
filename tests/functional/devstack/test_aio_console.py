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

"""Serial consoles end to end, on the session's all-in-one (conftest.py).

``openstack console url show --serial`` gives the tenant a websocket URL
of nova-serialproxy; through it (a websocket client, as a browser would
connect) the tenant gets a shell inside its container, and nothing else:
not the host, not with a forged token, not another tenant's server, not a
stopped or deleted server.
"""

import os
import time
import uuid

import pytest
import websocket

from tests.functional.devstack.conftest import wait

pytestmark = [pytest.mark.slow, pytest.mark.docker]


def _url(aio, server_id, cloud='aio-demo'):
    shown = aio.openstack_json('console', 'url', 'show', '--serial',
                               server_id, cloud=cloud)
    return shown['url']


def _shell(url, script, expect, timeout=30):
    """What the console answers to ``script`` (up to ``expect`` in the
    output), or None when the proxy gives no shell."""
    try:
        ws = websocket.create_connection(url, timeout=10,
                                         subprotocols=['binary'])
    except (websocket.WebSocketException, OSError):
        return None
    got = b''
    try:
        ws.send_binary(script.encode() + b'\n')
        deadline = time.monotonic() + timeout
        while expect.encode() not in got and time.monotonic() < deadline:
            try:
                data = ws.recv()
            except websocket.WebSocketTimeoutException:
                continue
            except (websocket.WebSocketException, OSError):
                break
            if not data:
                break
            got += data if isinstance(data, bytes) else data.encode()
    finally:
        ws.close()
    return got.decode(errors='replace') if got else None


def _boot(aio, name, cloud='aio-demo'):
    return aio.openstack_json(
        'server', 'create', '--image', 'dos-idle', '--flavor', 'docker.tiny',
        '--nic', 'none', '--wait', name, cloud=cloud)


@pytest.fixture
def server(aio):
    """A server of the demo tenant (a unique name: the cloud is shared)."""
    created = _boot(aio, 'e2e-console-' + uuid.uuid4().hex[:8])
    yield created
    aio.openstack('server', 'delete', '--wait', created['id'],
                  cloud='aio-demo', check=False)


def test_serial_console_is_a_shell_in_the_container(aio, server, tmp_path):
    url = _url(aio, server['id'])
    assert url.startswith('ws://127.0.0.1:%d/' % aio.lay.port(
        'nova-serialproxy'))
    assert 'token=' in url
    (container,) = aio.containers_of(server['id']).values()
    hostname = container.attrs['Config']['Hostname']
    # The arithmetic is done by the shell: the echo of the typed line
    # alone does not hold the answer.
    answer = _shell(url, 'echo "$((6 * 7))-$(cat /etc/hostname)-end"',
                    '42-%s-end' % hostname)
    assert answer and '42-%s-end' % hostname in answer, answer
    # A file of the host is not there: the shell sees the container only.
    marker = tmp_path / ('host-only-' + uuid.uuid4().hex)
    marker.write_text('host')
    script = ('test -e %s && echo "HOST$((1+1))" || echo "NOT$((2+2))"'
              % marker)
    answer = _shell(url, script, 'NOT4')
    assert answer and 'NOT4' in answer and 'HOST2' not in answer, answer
    assert os.path.exists(marker)
    # Each session's shell ends with its connection: none is left behind.

    def shells():
        return [p for p in container.top(ps_args='-o pid,args')['Processes']
                if p[-1].strip() == '/bin/sh']
    wait(lambda: not shells(), 30, 'the console shells to end')


def test_forged_token_gets_no_shell(aio, server):
    url = _url(aio, server['id'])
    base = url.split('?', 1)[0]
    forged = base + '?token=' + str(uuid.uuid4())
    assert _shell(forged, 'echo "$((3 * 5))x"', '15x', timeout=10) is None
    assert _shell(base, 'echo "$((3 * 5))x"', '15x', timeout=10) is None


def test_another_tenant_gets_no_console(aio, server):
    proc = aio.openstack('console', 'url', 'show', '--serial', server['id'],
                         cloud='aio-alt-demo', check=False)
    assert proc.returncode != 0
    assert 'ws://' not in proc.stdout


def test_stopped_server_has_no_console(aio, server):
    url = _url(aio, server['id'])
    assert '9x' in (_shell(url, 'echo "$((4 + 5))x"', '9x') or '')
    aio.openstack('server', 'stop', server['id'], cloud='aio-demo')
    wait(lambda: aio.openstack_json('server', 'show', server['id'],
                                    cloud='aio-demo')['status'] == 'SHUTOFF',
         120, 'server SHUTOFF')
    # The old URL leads nowhere, and no new one is handed out.
    assert _shell(url, 'echo "$((4 + 5))x"', '9x', timeout=10) is None
    proc = aio.openstack('console', 'url', 'show', '--serial', server['id'],
                         cloud='aio-demo', check=False)
    assert proc.returncode != 0
    assert 'serial' in proc.stderr.lower(), proc.stderr
    # Started again, it has a console again.
    aio.openstack('server', 'start', server['id'], cloud='aio-demo')
    wait(lambda: aio.openstack_json('server', 'show', server['id'],
                                    cloud='aio-demo')['status'] == 'ACTIVE',
         120, 'server ACTIVE')
    answer = _shell(_url(aio, server['id']), 'echo "$((4 + 5))y"', '9y')
    assert answer and '9y' in answer


def test_deleted_server_console_is_gone(aio):
    created = _boot(aio, 'e2e-console-' + uuid.uuid4().hex[:8])
    url = _url(aio, created['id'])
    assert '8z' in (_shell(url, 'echo "$((2 * 4))z"', '8z') or '')
    aio.openstack('server', 'delete', '--wait', created['id'],
                  cloud='aio-demo')
    assert _shell(url, 'echo "$((2 * 4))z"', '8z', timeout=10) is None

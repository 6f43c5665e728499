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

"""The harness's DevStack helpers mean what DevStack's mean.

The plugin tests trust these helpers, so they are checked here on their own:
ini editing on real files, and the service switches.
"""

import os
import subprocess

from tests.unit.devstack.harness import HARNESS_DIR, Ini


def _bash(tmp_path, script, services=''):
    log = tmp_path / 'calls.log'
    proc = subprocess.run(
        ['bash', '-c', 'source "$FUNCS"; set -e; ' + script],
        env=dict(os.environ, FUNCS=os.path.join(HARNESS_DIR, 'functions.sh'),
                 HARNESS_LOG=str(log), ENABLED_SERVICES=services),
        capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_iniset_creates_file_section_and_replaces_value(tmp_path):
    conf = tmp_path / 'a' / 'x.conf'
    _bash(tmp_path, 'iniset %s DEFAULT debug True; iniset %s docker endpoint '
                    'unix:///a; iniset %s docker endpoint unix:///b'
          % (conf, conf, conf))
    ini = Ini(conf)
    assert ini.all('DEFAULT', 'debug') == ['True']
    assert ini.all('docker', 'endpoint') == ['unix:///b']


def test_iniset_new_option_goes_after_the_header(tmp_path):
    conf = tmp_path / 'x.conf'
    conf.write_text('[a]\nx = 1\n\n[b]\ny = 2\n')
    _bash(tmp_path, 'iniset %s a z 3' % conf)
    assert conf.read_text() == '[a]\nz = 3\nx = 1\n\n[b]\ny = 2\n'


def test_iniset_leaves_other_sections_and_similar_names(tmp_path):
    conf = tmp_path / 'x.conf'
    conf.write_text('[a]\nendpoint_x = 1\n[b]\nendpoint = 2\n')
    _bash(tmp_path, 'iniset %s a endpoint 9' % conf)
    ini = Ini(conf)
    assert ini.all('a', 'endpoint') == ['9']
    assert ini.all('a', 'endpoint_x') == ['1']
    assert ini.all('b', 'endpoint') == ['2']


def test_iniget_reads_values_with_spaces_around_equals(tmp_path):
    conf = tmp_path / 'x.conf'
    conf.write_text('[a]\nk=v1\n[b]\nk =  v 2 \n')
    out = _bash(tmp_path, 'iniget %s b k; iniget %s a k; iniget %s a none'
                % (conf, conf, conf))
    assert out.splitlines() == ['v 2', 'v1']


def test_iniadd_keeps_values_and_multiline_round_trips(tmp_path):
    conf = tmp_path / 'x.conf'
    out = _bash(tmp_path, 'iniadd {c} s o one; iniadd {c} s o two three; '
                          'iniget_multiline {c} s o'.format(c=conf))
    assert out.strip() == 'one two three'
    assert Ini(conf).all('s', 'o') == ['one', 'two', 'three']


def test_inidelete_and_ini_has_option(tmp_path):
    conf = tmp_path / 'x.conf'
    conf.write_text('[database]\nconnection = sqlite://\n[x]\nconnection = 1\n')
    out = _bash(tmp_path, 'inidelete {c} database connection; '
                          'ini_has_option {c} database connection && echo yes '
                          '|| echo no; ini_has_option {c} x connection && echo '
                          'yes'.format(c=conf))
    assert out.split() == ['no', 'yes']
    assert Ini(conf).all('x', 'connection') == ['1']


def test_is_service_enabled_matches_devstack_catch_alls(tmp_path):
    out = _bash(tmp_path, '''
        for s in n-cpu nova glance heat h-eng q-svc "q-svc n-cpu"; do
            if is_service_enabled $s; then echo "$s:on"; else echo "$s:off"; fi
        done''', services='key,n-cpu,g-api')
    assert out.splitlines() == [
        'n-cpu:on', 'nova:on', 'glance:on', 'heat:off', 'h-eng:off',
        'q-svc:off', 'q-svc n-cpu:on']


def test_enable_and_disable_service(tmp_path):
    out = _bash(tmp_path, '''
        enable_service a b; enable_service a; echo $ENABLED_SERVICES
        disable_service b; echo $ENABLED_SERVICES
        enable_service b 2>/dev/null; echo $ENABLED_SERVICES''',
        services='key')
    assert out.splitlines() == ['key,a,b', 'key,a', 'key,a']


def test_run_process_records_only_enabled_services(tmp_path):
    _bash(tmp_path, 'run_process on "cmd 1" grp; run_process off "cmd 2"',
          services='on')
    calls = (tmp_path / 'calls.log').read_text().splitlines()
    assert calls == ['run_process on group=grp cmd 1']

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

"""The all-in-one's dashboard set-up (tools/aio/horizon.py): the settings
it writes, the static files' cache, the static file server's paths."""

import os
import runpy

import pytest

from tools.aio import __main__ as aio_main
from tools.aio import horizon
from tools.aio import layout
from tools.aio import services


def _layout(tmp_path):
    return layout.Layout(state=str(tmp_path), port_base=27000,
                         home=str(tmp_path / 'aio'))


def test_settings_file_as_python_reads_it(tmp_path):
    lay = _layout(tmp_path)
    path = horizon.write_settings(lay, static='/x/static')
    assert path == os.path.join(lay.etc, 'horizon', 'local',
                                'local_settings.py')
    assert os.path.exists(os.path.join(os.path.dirname(path),
                                       '__init__.py'))
    values = runpy.run_path(path)
    assert values['OPENSTACK_KEYSTONE_URL'] == lay.auth_url
    assert values['DEBUG'] is False
    assert values['STATIC_ROOT'] == '/x/static'
    assert values['X_FRAME_OPTIONS'] == 'SAMEORIGIN'
    assert values['CONSOLE_TYPE'] == 'SERIAL'
    # Sessions in a cache on disk: shared by every process, kept across
    # restarts (neither memcached nor a per-process local memory cache).
    assert values['SESSION_ENGINE'] == \
        'django.contrib.sessions.backends.cache'
    cache = values['CACHES']['default']
    assert cache['BACKEND'].endswith('FileBasedCache')
    assert cache['LOCATION'] == horizon.cache_dir(lay)
    assert os.path.isdir(cache['LOCATION'])
    # Never culled under a person's session.
    assert cache['OPTIONS']['MAX_ENTRIES'] >= 10000
    assert values['ALLOWED_HOSTS'] == ['127.0.0.1', 'localhost']
    assert values['LAUNCH_INSTANCE_DEFAULTS']['create_volume'] is False
    # heat-dashboard's policies join Horizon's own.
    assert 'compute' in values['POLICY_FILES']
    assert os.path.isfile(values['POLICY_FILES']['orchestration'])
    assert os.path.isfile(values['DEFAULT_POLICY_FILES']['orchestration'])


def test_secret_key_is_made_once_and_private(tmp_path):
    lay = _layout(tmp_path)
    first = runpy.run_path(horizon.write_settings(lay))['SECRET_KEY']
    second = runpy.run_path(horizon.write_settings(lay))['SECRET_KEY']
    assert first == second and len(first) >= 40
    key_file = os.path.join(horizon.settings_dir(lay), 'secret_key')
    assert os.stat(key_file).st_mode & 0o077 == 0
    other = _layout(tmp_path / 'other')
    assert runpy.run_path(horizon.write_settings(other))['SECRET_KEY'] \
        != first


def test_static_key_follows_versions_and_settings(tmp_path, monkeypatch):
    key = horizon.static_key()
    assert key == horizon.static_key()
    monkeypatch.setitem(horizon.STATIC_SETTINGS, 'WEBROOT', '/dashboard/')
    assert horizon.static_key() != key
    monkeypatch.setitem(horizon.STATIC_SETTINGS, 'WEBROOT', '/')
    assert horizon.static_key() == key
    monkeypatch.setattr(horizon, '_version', lambda dist: '99.0.0')
    assert horizon.static_key() != key
    # Kept under the state folder, not the cloud's (which --purge and
    # the end-to-end tests remove).
    lay = _layout(tmp_path)
    assert horizon.static_root(lay).startswith(
        os.path.join(lay.state, 'horizon-static') + os.sep)
    assert not horizon.static_root(lay).startswith(lay.base)


class _Manage:
    def __init__(self):
        self.calls = []

    def __call__(self, lay, env, *args):
        self.calls.append(args[0])
        # What collectstatic and compress would leave in STATIC_ROOT.
        values = runpy.run_path(horizon.settings_path(lay))
        os.makedirs(values['STATIC_ROOT'], exist_ok=True)
        with open(os.path.join(values['STATIC_ROOT'], args[0]), 'w') as f:
            f.write('done')


def test_static_files_are_built_once_per_key(tmp_path, monkeypatch):
    lay = _layout(tmp_path)
    manage = _Manage()
    monkeypatch.setattr(horizon, '_manage', manage)
    monkeypatch.setattr(horizon, 'enable_plugins', lambda: [])
    old = os.path.join(horizon.static_base(lay), 'old-key')
    os.makedirs(old)
    assert horizon.prepare(lay, {}) is True
    assert manage.calls == ['collectstatic', 'compress']
    root = horizon.static_root(lay)
    assert sorted(os.listdir(root)) == ['.complete', 'collectstatic',
                                        'compress']
    assert runpy.run_path(horizon.settings_path(lay))['STATIC_ROOT'] == root
    assert not os.path.exists(old)
    assert os.listdir(horizon.static_base(lay)) == [os.path.basename(root)]
    # Again: nothing is built, the settings still point at the tree.
    assert horizon.prepare(lay, {}) is False
    assert manage.calls == ['collectstatic', 'compress']
    # A new key (settings that shape the pages changed): built again.
    monkeypatch.setitem(horizon.STATIC_SETTINGS, 'WEBROOT', '/d/')
    assert horizon.prepare(lay, {}) is True
    assert manage.calls[2:] == ['collectstatic', 'compress']


def test_failed_build_leaves_no_tree(tmp_path, monkeypatch):
    lay = _layout(tmp_path)

    def fail(lay, env, *args):
        values = runpy.run_path(horizon.settings_path(lay))
        os.makedirs(values['STATIC_ROOT'], exist_ok=True)
        raise horizon.DashboardError('compress failed: no sass')

    monkeypatch.setattr(horizon, '_manage', fail)
    monkeypatch.setattr(horizon, 'enable_plugins', lambda: [])
    with pytest.raises(horizon.DashboardError, match='no sass'):
        horizon.prepare(lay, {})
    assert not os.path.exists(horizon.static_root(lay))
    assert os.listdir(horizon.static_base(lay)) == []


def test_heat_dashboard_panels_are_found():
    names = sorted(horizon.enabled_files())
    assert names and all(n.startswith('_16') for n in names)
    assert '_1610_project_orchestration_panel.py' in names
    assert '_1620_project_stacks_panel.py' in names
    # The Template Generator asks Cinder and Neutron QoS, absent here.
    assert '_1650_project_template_generator_panel.py' not in names


def test_a_left_out_panel_copied_before_is_removed(tmp_path, monkeypatch):
    horizon_dir = tmp_path / 'openstack_dashboard'
    enabled = horizon_dir / 'local' / 'enabled'
    enabled.mkdir(parents=True)
    stale = enabled / '_1650_project_template_generator_panel.py'
    stale.write_text('PANEL = "template_generator"\n')
    real = horizon._package_dir
    monkeypatch.setattr(horizon, '_package_dir', lambda name: str(
        horizon_dir) if name == 'openstack_dashboard' else real(name))
    changed = horizon.enable_plugins()
    assert stale.name in changed
    assert sorted(os.listdir(enabled)) == sorted(horizon.enabled_files())
    # Again: nothing to do.
    assert horizon.enable_plugins() == []


@pytest.mark.parametrize('path, ok', [
    ('/static/dashboard/css/x.css', True),
    ('/static/../secret_key', False),
    ('/static/%2e%2e/secret_key', False),
    ('/static//etc/passwd', False),
    ('/static/', False),
    ('/static/dashboard', False),           # a folder
    ('/dashboard/css/x.css', False),        # not under the prefix
])
def test_static_files_are_served_only_from_the_root(tmp_path, path, ok):
    root = tmp_path / 'static'
    (root / 'dashboard' / 'css').mkdir(parents=True)
    (root / 'dashboard' / 'css' / 'x.css').write_text('a {}')
    (tmp_path / 'secret_key').write_text('secret')
    found = horizon.static_file(str(root), '/static/', path)
    if ok:
        assert found == str(root / 'dashboard' / 'css' / 'x.css')
    else:
        assert found is None


def test_dashboard_is_served_on_loopback_and_announced(tmp_path, capsys):
    lay = _layout(tmp_path)
    (svc,) = [s for s in services.all_services(lay) if s.name == 'horizon']
    assert svc.kind == 'http' and svc.port == lay.port('horizon')
    assert svc.path == horizon.HEALTH_PATH
    assert 'tools.aio.horizon_wsgi:application' in svc.argv
    assert svc.env['PYTHONPATH'].split(os.pathsep)[0] == \
        horizon.settings_dir(lay)
    assert horizon.url(lay) == 'http://127.0.0.1:%d/' % lay.port('horizon')
    line = aio_main.dashboard_line(lay)
    assert horizon.url(lay) in line and 'demo / aio-demo' in line


def test_env_exports_the_dashboard_url(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv('DOS_STATE', str(tmp_path))
    monkeypatch.setenv('AIO_PORT_BASE', '27000')
    monkeypatch.delenv('AIO_HOME', raising=False)
    assert aio_main.main(['env']) == 0
    out = capsys.readouterr().out
    assert 'export OS_DASHBOARD_URL=http://127.0.0.1:%d/' % (
        27000 + layout.PORTS['horizon']) in out


def test_session_reads_the_named_forms_fields_as_a_browser_sends_them():
    from tests.rig import horizon_session
    page = '''
<form method="post" action="/auth/logout/"><input name="csrfmiddlewaretoken"
 value="other"></form>
<form id="user_settings_modal" action="/settings/" method="POST">
  <input type="hidden" name="csrfmiddlewaretoken" value="tok">
  <select name="language"><option value="de">de</option>
    <option value="en" selected="selected">en</option></select>
  <select name="timezone"><option value="UTC" selected>UTC</option></select>
  <input type="number" name="pagesize" value="20">
  <input type="submit" value="Save">
</form>'''
    assert horizon_session.form_fields(page, '/settings/') == {
        'csrfmiddlewaretoken': 'tok', 'language': 'en', 'timezone': 'UTC',
        'pagesize': '20'}
    assert horizon_session.form_fields(page, '/auth/logout/') == {
        'csrfmiddlewaretoken': 'other'}
    assert horizon_session.form_fields(page, '/nowhere/') == {}

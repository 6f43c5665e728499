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

"""The all-in-one's dashboard: Horizon with heat-dashboard.

Horizon's settings module (``openstack_dashboard.settings``) imports
``local.local_settings`` from ``sys.path``; the all-in-one writes its own
``local/local_settings.py`` under ``etc/horizon`` and puts that folder first
on the dashboard process's PYTHONPATH, so the installed Horizon is used as
it comes. heat-dashboard's panels are enabled the way its documentation
says: its ``enabled`` files copied into ``openstack_dashboard/local/enabled``
of the installed Horizon, all but the Template Generator's
(``LEFT_OUT_PANELS`` says why).

Static files are collected and compressed ahead (``collectstatic``,
``compress``) into ``$DOS_STATE/horizon-static/<key>``, where the key is a
digest of what the result depends on (Horizon's and heat-dashboard's
versions, the enabled panels, the settings that shape the pages); a cloud
whose key is there reuses it, so only a new Horizon or new settings pay the
minute it takes. Sessions live in a file-based cache under the cloud's
data folder: every worker and thread sees them, and they survive a restart.
The process is gunicorn (threads) via ``tools.aio.serve`` with
``tools.aio.horizon_wsgi`` (Horizon's application, plus the static files).
"""

import glob
import hashlib
import json
import os
import posixpath
import secrets
import shutil
import subprocess
import sys
from urllib import parse

from tools.aio import layout as layout_mod

#: The login of the tenant a person uses (bootstrap.identity makes it).
DEMO_USER = 'demo'
#: Settings the compressed static files depend on (part of the cache key).
STATIC_SETTINGS = {
    'WEBROOT': '/',
    'STATIC_URL': '/static/',
    'COMPRESS_ENABLED': True,
    'COMPRESS_OFFLINE': True,
}
#: The login page answers once Horizon is up.
HEALTH_PATH = '/auth/login/'
_MARKER = '.complete'
#: heat-dashboard's enabled files the all-in-one does not copy, and why.
#: Horizon hides the panels whose service is not in the catalog (Volumes,
#: Object Store) by itself; this one shows whatever the catalog holds.
LEFT_OUT_PANELS = {
    '_1650_project_template_generator_panel.py':
        'the Template Generator lists Cinder volumes, snapshots, types and '
        'backups and Neutron QoS policies on every visit and shows a '
        'warning for each failure: the all-in-one has no Cinder and no QoS '
        'extension, and the generator draws no OS::Docker resources',
}


class DashboardError(Exception):
    """Horizon's set-up failed; ``str()`` says where to look."""


def _package_dir(name):
    import importlib.util
    spec = importlib.util.find_spec(name)
    return os.path.dirname(spec.origin) if spec and spec.origin else None


def _version(dist):
    from importlib import metadata
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def installed():
    """True when Horizon and heat-dashboard are in this Python."""
    return bool(_version('horizon') and _version('heat-dashboard'))


def url(lay):
    return lay.url('horizon', '/')


def settings_dir(lay):
    """The folder put first on the dashboard's PYTHONPATH."""
    return lay.conf('horizon')


def settings_path(lay):
    return os.path.join(settings_dir(lay), 'local', 'local_settings.py')


def cache_dir(lay):
    """Sessions (and Horizon's other cache entries), shared by processes."""
    return os.path.join(lay.data, 'horizon', 'cache')


def static_base(lay):
    """Collected + compressed static files, kept across clouds."""
    return os.path.join(lay.state, 'horizon-static')


def enabled_files():
    """heat-dashboard's enabled files the all-in-one uses (name -> source
    path)."""
    src = _package_dir('heat_dashboard')
    if not src:
        return {}
    found = {os.path.basename(p): p for p in sorted(glob.glob(
        os.path.join(src, 'enabled', '_[1-9]*.py')))}
    return {n: p for n, p in found.items() if n not in LEFT_OUT_PANELS}


def enable_plugins():
    """Copy heat-dashboard's enabled files into Horizon's local/enabled
    (idempotent; what heat-dashboard's install guide says to do), and
    remove the ones left out that an earlier version copied."""
    dest = os.path.join(_package_dir('openstack_dashboard'), 'local',
                        'enabled')
    changed = []
    for name in LEFT_OUT_PANELS:
        stale = os.path.join(dest, name)
        if os.path.exists(stale):
            os.unlink(stale)
            changed.append(name)
    for name, src in enabled_files().items():
        target = os.path.join(dest, name)
        with open(src, 'rb') as f:
            data = f.read()
        if os.path.exists(target):
            with open(target, 'rb') as f:
                if f.read() == data:
                    continue
        with open(target, 'wb') as f:
            f.write(data)
        changed.append(name)
    return changed


def static_key():
    """Digest of everything the compressed static files depend on."""
    parts = {
        'horizon': _version('horizon'),
        'heat-dashboard': _version('heat-dashboard'),
        'django-compressor': _version('django-compressor'),
        'enabled': sorted(enabled_files()),
        'settings': STATIC_SETTINGS,
        'python': sys.version_info[:2],
    }
    text = json.dumps(parts, sort_keys=True, default=list)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def static_root(lay, key=None):
    return os.path.join(static_base(lay), key or static_key())


def _secret_key(lay):
    path = os.path.join(settings_dir(lay), 'secret_key')
    if not os.path.exists(path):
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, 'w') as f:
            f.write(secrets.token_urlsafe(48))
    with open(path) as f:
        return f.read().strip()


def settings(lay, static=None):
    """The dashboard's settings (a dict of Django/Horizon names)."""
    heat_conf = os.path.join(_package_dir('heat_dashboard') or '', 'conf')
    values = dict(STATIC_SETTINGS)
    values.update({
        'DEBUG': False,
        'ALLOWED_HOSTS': ['127.0.0.1', 'localhost'],
        'SECRET_KEY': _secret_key(lay),
        'STATIC_ROOT': static or static_root(lay),
        'OPENSTACK_HOST': '127.0.0.1',
        'OPENSTACK_KEYSTONE_URL': lay.auth_url,
        'OPENSTACK_KEYSTONE_DEFAULT_DOMAIN': 'Default',
        'OPENSTACK_KEYSTONE_DEFAULT_ROLE': 'member',
        'OPENSTACK_ENDPOINT_TYPE': 'publicURL',
        # Sessions in a cache every process and thread shares, on disk:
        # they survive a restart of the dashboard.
        'SESSION_ENGINE': 'django.contrib.sessions.backends.cache',
        'CACHES': {'default': {
            'BACKEND': 'django.core.cache.backends.filebased.FileBasedCache',
            'LOCATION': cache_dir(lay),
            # Django culls a third of the entries, sessions among them,
            # once there are more than MAX_ENTRIES (300 by default).
            'OPTIONS': {'MAX_ENTRIES': 100000}}},
        'SESSION_COOKIE_SECURE': False,
        'CSRF_COOKIE_SECURE': False,
        # Horizon shows the console in an iframe of its own pages; Django
        # 5's default (DENY) leaves it empty.
        'X_FRAME_OPTIONS': 'SAMEORIGIN',
        # A container's console is a terminal in it (nova-serialproxy).
        'CONSOLE_TYPE': 'SERIAL',
        # No Cinder here: never offer a boot volume in Launch Instance.
        'LAUNCH_INSTANCE_DEFAULTS': {
            'create_volume': False, 'config_drive': False,
            'enable_scheduler_hints': True},
        'OPENSTACK_HYPERVISOR_FEATURES': {
            'can_set_mount_point': False, 'can_set_password': False,
            'requires_keypair': False, 'enable_quotas': True},
        'OPENSTACK_NEUTRON_NETWORK': {
            'enable_router': True, 'enable_quotas': True,
            'enable_ipv6': True, 'enable_distributed_router': False,
            'enable_ha_router': False, 'enable_fip_topology_check': True},
        'OPENSTACK_HEAT_STACK': {'enable_user_pass': True},
        'HEAT_TEMPLATE_GENERATOR_API_TIMEOUT': 60,
        'HEAT_TEMPLATE_GENERATOR_API_PARALLEL': 2,
        'POLICY_FILES_EXTRA': {
            'orchestration': os.path.join(heat_conf, 'heat_policy.yaml')},
        'DEFAULT_POLICY_FILES_EXTRA': {
            'orchestration': os.path.join(heat_conf, 'default_policies',
                                          'heat.yaml')},
        'LOGGING': {
            'version': 1, 'disable_existing_loggers': False,
            'handlers': {'console': {'class': 'logging.StreamHandler'}},
            'root': {'handlers': ['console'], 'level': 'WARNING'}},
    })
    return values


def settings_text(values):
    """``local_settings.py`` for ``values`` (Python literals only)."""
    lines = ['# Generated by tools/aio/horizon.py; rewritten at every start.',
             '# flake8: noqa', '']
    extra = {}
    for name in sorted(values):
        if name.endswith('_EXTRA'):
            extra[name[:-len('_EXTRA')]] = values[name]
            continue
        lines.append('%s = %r' % (name, values[name]))
    if extra:
        # heat-dashboard's policy files, added to Horizon's own (absolute
        # paths: os.path.join keeps them as they are under
        # POLICY_FILES_PATH).
        lines += ['', 'from openstack_dashboard import defaults as _defaults']
        for name in sorted(extra):
            lines.append('%s = dict(_defaults.%s, **%r)'
                         % (name, name, extra[name]))
    return '\n'.join(lines) + '\n'


def write_settings(lay, static=None):
    """Write ``etc/horizon/local/local_settings.py``; return its path."""
    folder = os.path.join(settings_dir(lay), 'local')
    os.makedirs(folder, exist_ok=True)
    os.makedirs(cache_dir(lay), exist_ok=True)
    init = os.path.join(folder, '__init__.py')
    if not os.path.exists(init):
        open(init, 'w').close()
    path = settings_path(lay)
    with open(path, 'w') as f:
        f.write(settings_text(settings(lay, static)))
    return path


def env(lay):
    """What the dashboard's processes (and manage commands) run with."""
    return {
        'PYTHONPATH': os.pathsep.join([settings_dir(lay), layout_mod.ROOT]),
        'DJANGO_SETTINGS_MODULE': 'openstack_dashboard.settings',
    }


def _manage(lay, base_env, *args):
    proc = subprocess.run(
        [os.path.join(lay.bin, 'python'), '-m', 'django'] + list(args),
        env=dict(base_env, **env(lay)), capture_output=True, text=True,
        timeout=900)
    if proc.returncode != 0:
        raise DashboardError('django-admin %s failed: %s' % (
            ' '.join(args), (proc.stderr or proc.stdout)[-1500:]))
    return proc


def static_file(root, prefix, path):
    """The file under ``root`` that ``path`` (a URL path) names, or None
    (not under ``prefix``, outside ``root``, or not a regular file)."""
    if not path.startswith(prefix):
        return None
    rel = posixpath.normpath(parse.unquote(path[len(prefix):]))
    if rel.startswith(('/', '..')) or '\0' in rel or rel == '.':
        return None
    full = os.path.realpath(os.path.join(root, *rel.split('/')))
    if os.path.commonpath([full, os.path.realpath(root)]) != \
            os.path.realpath(root):
        return None
    return full if os.path.isfile(full) else None


def static_ready(root):
    return os.path.exists(os.path.join(root, _MARKER))


def prepare(lay, base_env=None, log=None):
    """Settings written, plugins enabled, static files ready (collected and
    compressed only when their key is new). Returns True when it built the
    static files now."""
    base_env = dict(os.environ if base_env is None else base_env)
    enable_plugins()
    key = static_key()
    root = static_root(lay, key)
    if static_ready(root):
        write_settings(lay, root)
        return False
    # Built beside the final folder, then renamed: a second cloud starting
    # at the same time never sees a half-built tree.
    building = '%s.building-%d' % (root, os.getpid())
    shutil.rmtree(building, ignore_errors=True)
    write_settings(lay, building)
    try:
        if log:
            log('  collecting and compressing Horizon\'s static files '
                '(once per Horizon version and settings)')
        _manage(lay, base_env, 'collectstatic', '--noinput', '--clear',
                '-v', '0')
        _manage(lay, base_env, 'compress', '--force', '-v', '0')
        open(os.path.join(building, _MARKER), 'w').close()
        try:
            os.rename(building, root)
        except OSError:
            # Another start finished first: use its tree.
            if not static_ready(root):
                raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
    write_settings(lay, root)
    # Trees of other keys (an older Horizon) are no longer used.
    for other in glob.glob(os.path.join(static_base(lay), '*')):
        if other != root and '.building-' not in other:
            shutil.rmtree(other, ignore_errors=True)
    return True

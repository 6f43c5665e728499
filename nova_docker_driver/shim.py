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

"""Install and check the thin ``nova.virt.docker`` module that loads us.

Nova 34 builds the driver path as ``nova.virt.<compute_driver>``, so a driver
that lives outside Nova's tree needs a module inside ``nova.virt``. Operators
then set ``compute_driver = docker.DockerDriver``.

The module lives in Nova's installed package, not in ours: a Nova installed
again into a new place (a new virtual environment, a rebuilt image, a
distribution package tree) comes without it, and nova-compute then stops at
start with an import error. ``nova-docker-shim check`` says so and names the
fix; DevStack's plugin and the all-in-one run ``check || install`` before
they start nova-compute.

    nova-docker-shim install [--force] [--nova-virt-dir DIR]
    nova-docker-shim check [--nova-virt-dir DIR]     # exit 0 good, 1 not
    nova-docker-shim uninstall [--nova-virt-dir DIR]
    nova-docker-shim path [--nova-virt-dir DIR]
"""

import argparse
import os
import sys

MARKER = 'Installed by docker-on-openstack (nova-docker-shim)'
SHIM_SOURCE = '''"""%s; do not edit."""
from nova_docker_driver.driver import DockerDriver  # noqa: F401
''' % MARKER

COMPUTE_DRIVER = 'docker.DockerDriver'

# check() states.
OK = 'ok'
MISSING = 'missing'
STALE = 'stale'
FOREIGN = 'foreign'
UNREADABLE = 'unreadable'


class ShimError(Exception):
    """The shim cannot be installed as asked; the message names the fix."""


def nova_virt_dir():
    """The ``nova/virt`` folder of the Nova this Python imports."""
    try:
        import nova.virt
    except ImportError as err:
        raise ShimError('Nova is not importable from %s (%s): install Nova '
                        'into this Python first, or pass --nova-virt-dir'
                        % (sys.executable, err))
    return os.path.dirname(nova.virt.__file__)


def shim_dir(virt_dir=None):
    """The folder of the ``nova.virt.docker`` package."""
    return os.path.join(virt_dir or nova_virt_dir(), 'docker')


def shim_file(virt_dir=None):
    return os.path.join(shim_dir(virt_dir), '__init__.py')


def _read(path):
    """The file's text; None when there is none; the OSError when it
    cannot be read (then nova-compute cannot import it either)."""
    try:
        with open(path) as f:
            return f.read()
    except FileNotFoundError:
        return None
    except OSError as err:
        return err


def state(virt_dir=None):
    """(state, path): ``ok``, ``missing`` (no module), ``stale`` (ours, from
    another version of this project), ``foreign`` (a ``nova/virt/docker``
    this project did not write, such as the retired nova-docker's) or
    ``unreadable``."""
    path = shim_file(virt_dir)
    current = _read(path)
    if isinstance(current, OSError):
        return UNREADABLE, path
    if current == SHIM_SOURCE:
        return OK, path
    if current is None:
        folder = os.path.dirname(path)
        others = os.listdir(folder) if os.path.isdir(folder) else []
        if set(others) - {'__pycache__'}:
            return FOREIGN, path
        return MISSING, path
    if MARKER in current:
        return STALE, path
    return FOREIGN, path


def problem(shim_state, path):
    """What is wrong and how to fix it, in one sentence; None when good."""
    fix = ('run `%s install` (the Python that runs nova-compute), then '
           'start nova-compute'
           % os.path.join(os.path.dirname(sys.executable), 'nova-docker-shim'))
    if shim_state == OK:
        return None
    if shim_state == MISSING:
        return ('nova.virt.docker is missing (no %s: Nova was installed '
                'after the shim, or the shim never was), so nova-compute '
                'cannot load compute_driver = %s: %s'
                % (path, COMPUTE_DRIVER, fix))
    if shim_state == UNREADABLE:
        return ('nova.virt.docker at %s cannot be read (%s), so nova-compute '
                'cannot import it either: remove it, then %s'
                % (path, _read(path), fix))
    if shim_state == STALE:
        return ('nova.virt.docker at %s was written by another version of '
                'docker-on-openstack: %s' % (path, fix))
    return ('nova.virt.docker at %s was not written by docker-on-openstack '
            '(an older nova-docker?): remove %s, then %s'
            % (path, os.path.dirname(path), fix))


def check(virt_dir=None):
    """None when the shim is in place and current, else the problem."""
    return problem(*state(virt_dir))


def install(virt_dir=None, force=False):
    """Write the shim (idempotent); returns its path. A ``nova/virt/docker``
    this project did not write is left alone unless ``force``."""
    shim_state, path = state(virt_dir)
    if shim_state == UNREADABLE:
        raise ShimError(problem(shim_state, path))
    if shim_state == FOREIGN and not force:
        raise ShimError('%s holds a nova.virt.docker that docker-on-openstack '
                        'did not write (an older nova-docker?): remove it, or '
                        'run `nova-docker-shim install --force` to replace it'
                        % os.path.dirname(path))
    if shim_state != OK:
        folder = os.path.dirname(path)
        os.makedirs(folder, exist_ok=True)
        # Readable by the service user whatever the installer's umask:
        # nova-compute usually runs as another user than the one installing.
        os.chmod(folder, 0o755)
        tmp = path + '.tmp'
        with open(tmp, 'w') as f:
            f.write(SHIM_SOURCE)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    return path


def uninstall(virt_dir=None):
    """Remove the shim if this project wrote it; a foreign one stays."""
    shim_state, path = state(virt_dir)
    if shim_state in (OK, STALE):
        os.unlink(path)
        cache = os.path.join(os.path.dirname(path), '__pycache__')
        if os.path.isdir(cache):
            for name in os.listdir(cache):
                if name.startswith('__init__.'):
                    os.unlink(os.path.join(cache, name))
            if not os.listdir(cache):
                os.rmdir(cache)
        if not os.listdir(os.path.dirname(path)):
            os.rmdir(os.path.dirname(path))


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog='nova-docker-shim', description=__doc__.splitlines()[0])
    parser.add_argument('action',
                        choices=['install', 'check', 'uninstall', 'path'])
    parser.add_argument('--nova-virt-dir', metavar='DIR',
                        help="Nova's nova/virt folder (default: the one this "
                             "Python imports; e.g. a package's staging tree)")
    parser.add_argument('--force', action='store_true',
                        help='install: replace a nova.virt.docker that this '
                             'project did not write')
    args = parser.parse_args(argv)
    virt_dir = args.nova_virt_dir
    try:
        if args.action == 'install':
            print('installed %s (compute_driver = %s)'
                  % (install(virt_dir, force=args.force), COMPUTE_DRIVER))
        elif args.action == 'check':
            trouble = check(virt_dir)
            if trouble:
                print('nova-docker-shim: %s' % trouble, file=sys.stderr)
                return 1
            print('ok: %s (compute_driver = %s)'
                  % (shim_file(virt_dir), COMPUTE_DRIVER))
        elif args.action == 'uninstall':
            uninstall(virt_dir)
        else:
            print(shim_dir(virt_dir))
    except ShimError as err:
        print('nova-docker-shim: %s' % err, file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())

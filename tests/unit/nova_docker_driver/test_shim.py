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

"""nova-docker-shim install / check / uninstall in a temporary nova/virt."""

import ast
import importlib.util
import os
import stat
import subprocess
import sys

import pytest

from nova_docker_driver import shim


def _cli(*args):
    return subprocess.run(
        [sys.executable, '-m', 'nova_docker_driver.shim'] + list(args),
        capture_output=True, text=True,
        env=dict(os.environ, PBR_VERSION='0.1'))


@pytest.fixture
def virt(tmp_path):
    path = tmp_path / 'nova' / 'virt'
    path.mkdir(parents=True)
    (path / '__init__.py').write_text('')
    return str(path)


def test_check_names_the_missing_module_and_the_fix(virt):
    trouble = shim.check(virt)
    assert shim.state(virt) == (shim.MISSING,
                                os.path.join(virt, 'docker', '__init__.py'))
    assert 'nova.virt.docker is missing' in trouble
    assert 'nova-docker-shim install' in trouble
    assert shim.COMPUTE_DRIVER in trouble


def test_install_then_check_is_good_and_install_is_idempotent(virt):
    path = shim.install(virt)
    assert path == os.path.join(virt, 'docker', '__init__.py')
    assert shim.check(virt) is None
    with open(path) as f:
        assert f.read() == shim.SHIM_SOURCE
    mtime = os.stat(path).st_mtime_ns
    assert shim.install(virt) == path
    assert os.stat(path).st_mtime_ns == mtime
    assert not os.path.exists(path + '.tmp')


def test_install_leaves_the_module_readable_under_a_strict_umask(virt):
    old = os.umask(0o077)
    try:
        path = shim.install(virt)
    finally:
        os.umask(old)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o644
    assert stat.S_IMODE(os.stat(os.path.dirname(path)).st_mode) == 0o755


def test_the_module_imports_the_class_compute_driver_names():
    # Read, not imported: this file stays free of Nova imports (the loading
    # through Nova's own loader is test_loading's).
    (node,) = [n for n in ast.parse(shim.SHIM_SOURCE).body
               if isinstance(n, ast.ImportFrom)]
    package, cls = shim.COMPUTE_DRIVER.split('.')
    assert package == 'docker'
    assert [a.name for a in node.names] == [cls]
    module = importlib.util.find_spec(node.module)
    with open(module.origin) as f:
        classes = {n.name for n in ast.parse(f.read()).body
                   if isinstance(n, ast.ClassDef)}
    assert cls in classes


def test_a_shim_from_another_version_is_stale_and_install_renews_it(virt):
    os.makedirs(os.path.join(virt, 'docker'))
    old = os.path.join(virt, 'docker', '__init__.py')
    with open(old, 'w') as f:
        f.write('"""%s."""\nfrom nova_docker_driver.old import Driver\n'
                % shim.MARKER)
    assert shim.state(virt)[0] == shim.STALE
    assert 'another version of docker-on-openstack' in shim.check(virt)
    shim.install(virt)
    assert shim.check(virt) is None


def test_a_foreign_nova_virt_docker_is_refused_unless_forced(virt):
    os.makedirs(os.path.join(virt, 'docker'))
    foreign = os.path.join(virt, 'docker', '__init__.py')
    with open(foreign, 'w') as f:
        f.write('from nova.virt.docker import driver\n')
    assert shim.state(virt)[0] == shim.FOREIGN
    assert 'was not written by docker-on-openstack' in shim.check(virt)
    with pytest.raises(shim.ShimError) as err:
        shim.install(virt)
    assert '--force' in str(err.value)
    with open(foreign) as f:
        assert f.read() == 'from nova.virt.docker import driver\n'
    shim.uninstall(virt)  # never removes what it did not write
    assert os.path.exists(foreign)
    shim.install(virt, force=True)
    assert shim.check(virt) is None


def test_a_package_without_init_is_foreign_but_a_leftover_cache_is_not(virt):
    folder = os.path.join(virt, 'docker')
    os.makedirs(os.path.join(folder, '__pycache__'))
    assert shim.state(virt)[0] == shim.MISSING
    open(os.path.join(folder, 'driver.py'), 'w').close()
    assert shim.state(virt)[0] == shim.FOREIGN


def test_an_unreadable_module_is_reported_and_not_overwritten(virt):
    # A folder where the module should be: open() fails as it would for a
    # file the checking user may not read (the tests run as root).
    os.makedirs(os.path.join(virt, 'docker', '__init__.py'))
    assert shim.state(virt)[0] == shim.UNREADABLE
    trouble = shim.check(virt)
    assert 'cannot be read' in trouble and 'nova-docker-shim install' in trouble
    with pytest.raises(shim.ShimError):
        shim.install(virt)
    out = _cli('check', '--nova-virt-dir', virt)
    assert out.returncode == 1 and 'cannot be read' in out.stderr
    assert 'Traceback' not in out.stderr


def test_uninstall_removes_the_module_and_its_folder(virt):
    path = shim.install(virt)
    cache = os.path.join(os.path.dirname(path), '__pycache__')
    os.makedirs(cache)
    open(os.path.join(cache, '__init__.cpython-311.pyc'), 'w').close()
    shim.uninstall(virt)
    assert not os.path.exists(os.path.dirname(path))
    assert shim.state(virt)[0] == shim.MISSING
    shim.uninstall(virt)  # nothing there: no error


def test_cli_check_exits_1_naming_the_fix_then_0_after_install(virt):
    missing = _cli('check', '--nova-virt-dir', virt)
    assert missing.returncode == 1
    assert 'nova.virt.docker is missing' in missing.stderr
    assert 'nova-docker-shim install' in missing.stderr
    installed = _cli('install', '--nova-virt-dir', virt)
    assert installed.returncode == 0, installed.stderr
    good = _cli('check', '--nova-virt-dir', virt)
    assert good.returncode == 0, good.stderr
    assert good.stdout.startswith('ok: ')
    assert _cli('path', '--nova-virt-dir', virt).stdout.strip() == \
        os.path.join(virt, 'docker')


def test_cli_refuses_a_foreign_module_with_exit_1(virt):
    os.makedirs(os.path.join(virt, 'docker'))
    with open(os.path.join(virt, 'docker', '__init__.py'), 'w') as f:
        f.write('# someone else\n')
    out = _cli('install', '--nova-virt-dir', virt)
    assert out.returncode == 1
    assert '--force' in out.stderr
    assert _cli('check', '--nova-virt-dir', virt).returncode == 1
    assert _cli('install', '--force', '--nova-virt-dir',
                virt).returncode == 0
    assert _cli('check', '--nova-virt-dir', virt).returncode == 0

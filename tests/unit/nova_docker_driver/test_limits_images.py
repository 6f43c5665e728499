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

"""Flavor limits and tarball sanitising, without an engine."""

import os

os.environ.setdefault('OS_NOVA_DISABLE_EVENTLET_PATCHING', '1')

import nova.tests.functional  # noqa: E402,F401,I100

import io  # noqa: E402
import json  # noqa: E402
import tarfile  # noqa: E402
import types  # noqa: E402

import nova.conf  # noqa: E402
import pytest  # noqa: E402

from nova_docker_driver import driver  # noqa: E402,F401  (options)
from nova_docker_driver import exception  # noqa: E402
from nova_docker_driver import images  # noqa: E402
from nova_docker_driver import inject  # noqa: E402
from nova_docker_driver import limits  # noqa: E402

CONF = nova.conf.CONF


def _flavor(memory_mb=512, vcpus=2, root_gb=1, **extra):
    return types.SimpleNamespace(memory_mb=memory_mb, vcpus=vcpus,
                                 root_gb=root_gb, extra_specs=extra)


def test_flavor_to_limits():
    got = limits.for_flavor(_flavor(**{'docker:pids_limit': '50',
                                       'docker:cpuset': '1,0'}), CONF, 2)
    assert got.memory_bytes == 512 * 2 ** 20
    assert (got.cpu_quota_us, got.cpu_period_us) == (200000, 100000)
    assert got.cpu_shares == 2048
    assert got.pids_limit == 50
    assert got.cpuset_cpus == '0,1'
    assert got.disk_bytes == 0
    assert limits.for_flavor(_flavor(), CONF, 2,
                             disk_quota=True).disk_bytes == 2 ** 30


@pytest.mark.parametrize('spec, words', [
    ('0-9', 'do not exist'), ('a', 'expected cpu ids'), ('3-1', 'expected'),
])
def test_bad_cpuset_names_the_spec(spec, words):
    with pytest.raises(exception.InvalidExtraSpec) as err:
        limits.for_flavor(_flavor(**{'docker:cpuset': spec}), CONF, 2)
    assert 'docker:cpuset' in str(err.value) and words in str(err.value)


@pytest.mark.parametrize('value', ['0', '-3', 'many'])
def test_bad_pids_limit_names_the_spec(value):
    with pytest.raises(exception.InvalidExtraSpec) as err:
        limits.for_flavor(_flavor(**{'docker:pids_limit': value}), CONF, 2)
    assert 'docker:pids_limit' in str(err.value)


def _tar(members):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode='w') as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def test_strip_repo_tags(tmp_path):
    manifest = [{'Config': 'abc.json', 'RepoTags': ['dos/idle:latest'],
                 'Layers': ['l/layer.tar']}]
    src = tmp_path / 'in.tar'
    src.write_bytes(_tar({'manifest.json': json.dumps(manifest).encode(),
                          'repositories': b'{"dos/idle": {}}',
                          'abc.json': b'{}', 'l/layer.tar': b'x'}))
    dst = tmp_path / 'out.tar'
    images.strip_repo_tags('img', str(src), str(dst))
    with tarfile.open(dst) as tar:
        names = tar.getnames()
        got = json.load(tar.extractfile('manifest.json'))
    assert 'repositories' not in names
    assert {'abc.json', 'l/layer.tar'} <= set(names)
    assert got[0]['RepoTags'] is None


@pytest.mark.parametrize('data, words', [
    (b'garbage' * 50, 'not a `docker save` tarball'),
    (_tar({'a': b'b'}), 'no manifest.json'),
    (_tar({'manifest.json': b'not json'}), 'not a `docker save` tarball'),
    (_tar({'manifest.json': b'[]'}), 'lists no image'),
])
def test_bad_tarballs(tmp_path, data, words):
    src = tmp_path / 'in.tar'
    src.write_bytes(data)
    with pytest.raises(exception.CorruptImageTarball) as err:
        images.strip_repo_tags('img-1', str(src), str(tmp_path / 'o.tar'))
    assert 'img-1' in str(err.value) and words in str(err.value)


def test_passwd_lookup():
    text = 'root:x:0:0:root:/root:/bin/sh\napp:x:1000:1001::/home/app:/bin/sh'
    assert inject.passwd_entry(text, 'app') == (1000, 1001, '/home/app')
    assert inject.passwd_entry(text, '1000') == (1000, 1001, '/home/app')
    assert inject.passwd_entry(text, 'nobody') is None


def test_personal_archive_keeps_parent_directories_alone():
    inst = types.SimpleNamespace(key_data='ssh-ed25519 AAAA k')
    data, problem = inject.personal_archive(
        inst, [('/tmp/x', b'1')], 'root:x:0:0::/root:/bin/sh', 'root')
    assert problem is None
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        names = tar.getnames()
    # No entry for /tmp or /root themselves (their modes stay as they are).
    assert names == ['tmp/x', 'root/.ssh', 'root/.ssh/authorized_keys']


@pytest.mark.parametrize('driver_name, backing, supported', [
    ('overlay2', 'extfs', False), ('overlay2', 'xfs', True),
    ('btrfs', 'btrfs', True), ('vfs', 'extfs', False)])
def test_disk_quota_support(driver_name, backing, supported):
    info = {'Driver': driver_name,
            'DriverStatus': [['Backing Filesystem', backing]]}
    assert limits.disk_quota_support(info) == (supported, driver_name,
                                               backing)

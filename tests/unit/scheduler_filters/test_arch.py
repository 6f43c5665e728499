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

"""The canonical architecture mapping and image platform parsing."""

import pytest

from scheduler_filters import exception
from scheduler_filters.core import arch


@pytest.mark.parametrize('name,canonical', [
    ('amd64', 'x86_64'), ('x86_64', 'x86_64'), ('AMD64', 'x86_64'),
    ('arm64', 'aarch64'), ('aarch64', 'aarch64'),
    ('ppc64le', 'ppc64le'), ('s390x', 's390x'),
    ('386', 'i686'), ('i386', 'i686'), ('i686', 'i686'),
    ('arm', 'armv7l'), ('armv7l', 'armv7l'),
])
def test_canonicalize_oci_and_nova_names(name, canonical):
    assert arch.canonicalize(name) == canonical


@pytest.mark.parametrize('bad', ['sparc-ish', 'mips', '', '  ', None, 64])
def test_unknown_architecture_is_an_error_naming_the_field(bad):
    with pytest.raises(exception.UnknownArchitecture) as e:
        arch.canonicalize(bad, field='hw_architecture')
    assert 'hw_architecture' in str(e.value)


def test_oci_name_round_trip():
    for canonical in ('x86_64', 'aarch64', 'ppc64le', 's390x', 'i686'):
        assert arch.canonicalize(arch.to_oci(canonical)) == canonical


def test_parse_platforms_of_an_image_index():
    got = arch.parse_platforms(
        'linux/amd64, linux/arm64/v8,linux/arm/v7,linux/arm/v6,'
        'linux/ppc64le,linux/s390x,linux/386')
    assert got == {'x86_64', 'aarch64', 'armv7l', 'armv6', 'ppc64le',
                   's390x', 'i686'}


@pytest.mark.parametrize('bad,fragment', [
    ('linux', 'expected os/arch'),
    ('linux/', 'expected os/arch'),
    ('windows/amd64', 'only linux'),
    ('linux/arm/v5', 'arm/v5'),
    ('linux/arm/v9', 'unknown variant'),
    ('linux/amd64/v7', 'unexpected variant'),
    ('', 'no platforms'),
    (' , ', 'no platforms'),
])
def test_malformed_platforms_fail_clearly(bad, fragment):
    with pytest.raises(exception.MalformedPlatform) as e:
        arch.parse_platforms(bad)
    assert fragment in str(e.value)
    assert 'docker_platforms' in str(e.value)


def test_unknown_arch_inside_platform_list_names_the_property():
    with pytest.raises(exception.UnknownArchitecture) as e:
        arch.parse_platforms('linux/amd64,linux/riscv128')
    assert 'docker_platforms' in str(e.value)
    assert 'riscv128' in str(e.value)


def test_image_architectures():
    assert arch.image_architectures({}) is None
    assert arch.image_architectures(None) is None
    assert arch.image_architectures({'hw_architecture': 'x86_64'}) == {
        'x86_64'}
    assert arch.image_architectures(
        {'docker_platforms': 'linux/amd64,linux/arm64'}) == {'x86_64',
                                                            'aarch64'}
    assert arch.image_architectures(
        {'docker_platforms': 'linux/amd64,linux/arm64',
         'hw_architecture': 'aarch64'}) == {'x86_64', 'aarch64'}
    with pytest.raises(exception.MalformedPlatform) as e:
        arch.image_architectures({'docker_platforms': 'linux/amd64',
                                  'hw_architecture': 's390x'})
    assert 'hw_architecture' in str(e.value)


def test_parse_emulated():
    assert arch.parse_emulated('amd64, arm64,,') == (
        frozenset({'x86_64', 'aarch64'}), [])
    assert arch.parse_emulated('x86_64,riscv128 , ') == (
        frozenset({'x86_64'}), ['riscv128'])
    assert arch.parse_emulated('') == (frozenset(), [])

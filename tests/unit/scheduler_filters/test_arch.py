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


# binfmt_misc entries as Debian's qemu-user-static (binfmt-support) and
# tonistiigi/binfmt register them: magic and mask of the ELF header.
def binfmt_entry(magic, flags='POCF', state='enabled', interpreter=None):
    return ('%s\ninterpreter %s\nflags: %s\noffset 0\nmagic %s\n'
            'mask ffffffffffffff00fffffffffffffffffeffffff\n'
            % (state, interpreter or '/usr/bin/qemu-static', flags, magic))


QEMU_MAGIC = {
    'aarch64': '7f454c460201010000000000000000000200b700',
    'arm': '7f454c4601010100000000000000000002002800',
    'ppc64le': '7f454c4602010100000000000000000002001500',
    's390x': '7f454c4602020100000000000000000000020016',
    'x86_64': '7f454c4602010100000000000000000002003e00',
    'i386': '7f454c4601010100000000000000000002000300',
    'riscv64': '7f454c460201010000000000000000000200f300',
    'ppc64': '7f454c4602020100000000000000000000020015',
}


@pytest.mark.parametrize('qemu,expected', [
    ('aarch64', {'aarch64'}), ('arm', {'armv7l', 'armv6'}),
    ('ppc64le', {'ppc64le'}), ('s390x', {'s390x'}),
    ('x86_64', {'x86_64'}), ('i386', {'i686'}),
])
def test_binfmt_entry_names_the_architecture_by_elf_machine(qemu, expected):
    archs, why = arch.binfmt_architectures(binfmt_entry(QEMU_MAGIC[qemu]))
    assert (archs, why) == (frozenset(expected), None)


@pytest.mark.parametrize('text,reason', [
    (binfmt_entry(QEMU_MAGIC['aarch64'], state='disabled'), 'disabled'),
    # Without F the interpreter is looked up inside the container.
    (binfmt_entry(QEMU_MAGIC['aarch64'], flags='OC'), 'no F flag'),
    (binfmt_entry(QEMU_MAGIC['riscv64']), 'ELF machine 243'),
    (binfmt_entry(QEMU_MAGIC['ppc64']), 'ELF machine 21'),  # big endian
    ('enabled\ninterpreter /usr/bin/wine\nflags: \nextension .exe\n',
     'not an ELF'),
    (binfmt_entry('7f454c46zz'), 'not an ELF'),
    ('', 'disabled'),
])
def test_binfmt_entry_that_does_not_serve_containers_says_why(text, reason):
    archs, why = arch.binfmt_architectures(text)
    assert archs == frozenset()
    assert reason in why


def test_placement_traits_are_os_traits_names():
    import os_traits
    for trait in (list(arch.HW_ARCH_TRAITS.values())
                  + list(arch.COMPUTE_ARCH_TRAITS.values())):
        assert hasattr(os_traits, trait), trait
        assert trait.startswith(arch.TRAIT_PREFIXES)
    # Every canonical architecture has its HW_ARCH trait.
    assert set(arch.HW_ARCH_TRAITS) == arch.CANONICAL
    # Every COMPUTE_ARCH trait os-traits has for a name we know is used.
    for name in arch.CANONICAL:
        trait = 'COMPUTE_ARCH_' + name.upper()
        assert hasattr(os_traits, trait) == (
            name in arch.COMPUTE_ARCH_TRAITS), name


@pytest.mark.parametrize('native,emulated,expected', [
    ('x86_64', (), {'HW_ARCH_X86_64', 'COMPUTE_ARCH_X86_64'}),
    ('x86_64', ('aarch64', 'armv7l', 'armv6', 's390x'),
     {'HW_ARCH_X86_64', 'COMPUTE_ARCH_X86_64', 'COMPUTE_ARCH_AARCH64',
      'COMPUTE_ARCH_S390X'}),
    ('aarch64', ('x86_64',),
     {'HW_ARCH_AARCH64', 'COMPUTE_ARCH_AARCH64', 'COMPUTE_ARCH_X86_64'}),
    ('armv7l', ('armv6',), {'HW_ARCH_ARMV7'}),
    ('ppc64le', (), {'HW_ARCH_PPC64LE', 'COMPUTE_ARCH_PPC64LE'}),
    ('riscv64', (), set()),
])
def test_placement_traits_native_and_emulated(native, emulated, expected):
    assert arch.placement_traits(native, emulated) == frozenset(expected)


@pytest.mark.parametrize('props,expected', [
    ({'hw_emulation_architecture': 'aarch64'}, {'aarch64'}),
    ({'hw_emulation_architecture': 'aarch64',
      'hw_architecture': 'aarch64'}, {'aarch64'}),
    ({'hw_emulation_architecture': 'arm64',
      'docker_platforms': 'linux/amd64,linux/arm64'}, {'x86_64', 'aarch64'}),
])
def test_emulation_architecture_names_the_image_architecture(props,
                                                             expected):
    assert arch.image_architectures(props) == frozenset(expected)


@pytest.mark.parametrize('props,field', [
    ({'hw_emulation_architecture': 'aarch64', 'hw_architecture': 'x86_64'},
     'hw_architecture'),
    ({'hw_emulation_architecture': 's390x',
      'docker_platforms': 'linux/amd64'}, 'hw_emulation_architecture'),
])
def test_emulation_architecture_that_disagrees_is_refused(props, field):
    with pytest.raises(exception.MalformedPlatform) as e:
        arch.image_architectures(props)
    assert field in str(e.value) and 'not among' in str(e.value)

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

"""The one mapping of architecture names used everywhere in the project.

Canonical names are Nova's (libvirt's): ``x86_64``, ``aarch64``, ``ppc64le``,
``s390x``, ``i686``, ``armv7l``, ``armv6``. OCI image indexes, Go and Docker
speak ``amd64``, ``arm64``, ``386``, ``arm`` (+ variant); Nova's own
``Architecture.canonicalize`` rejects ``arm64``, which is why this module
exists. An unknown name raises: a request that names an architecture we do
not understand must fail, never silently match every host.
"""

import logging

from scheduler_filters import exception

LOG = logging.getLogger(__name__)

X86_64 = 'x86_64'
AARCH64 = 'aarch64'
PPC64LE = 'ppc64le'
S390X = 's390x'
I686 = 'i686'
ARMV7L = 'armv7l'
ARMV6 = 'armv6'

CANONICAL = frozenset((X86_64, AARCH64, PPC64LE, S390X, I686, ARMV7L, ARMV6))

# Every accepted spelling (lower case) -> canonical name.
_ALIASES = {
    'x86_64': X86_64, 'amd64': X86_64, 'x86-64': X86_64, 'x64': X86_64,
    'aarch64': AARCH64, 'arm64': AARCH64, 'arm64/v8': AARCH64,
    'aarch64/v8': AARCH64,
    'ppc64le': PPC64LE, 'ppc64el': PPC64LE,
    's390x': S390X,
    'i686': I686, '386': I686, 'i386': I686, 'i486': I686, 'i586': I686,
    'x86': I686,
    'armv7l': ARMV7L, 'armv7': ARMV7L, 'armhf': ARMV7L, 'arm': ARMV7L,
    'arm/v7': ARMV7L,
    'armv6': ARMV6, 'armv6l': ARMV6, 'arm/v6': ARMV6, 'armel': ARMV6,
}

# OCI name of each canonical architecture, for messages and Docker platforms.
OCI_NAMES = {X86_64: 'amd64', AARCH64: 'arm64', PPC64LE: 'ppc64le',
             S390X: 's390x', I686: '386', ARMV7L: 'arm', ARMV6: 'arm'}

#: Image property listing an OCI image index's platforms, comma separated,
#: e.g. ``docker_platforms = "linux/amd64,linux/arm64/v8"``.
PLATFORMS_PROPERTY = 'docker_platforms'
#: Nova's single-architecture image property.
ARCH_PROPERTY = 'hw_architecture'
#: Nova's image property naming an architecture to run under emulation.
EMULATION_PROPERTY = 'hw_emulation_architecture'
#: The image properties ``image_architectures`` reads.
IMAGE_PROPERTIES = (ARCH_PROPERTY, EMULATION_PROPERTY, PLATFORMS_PROPERTY)
#: Compute-node stat / host label declaring emulated architectures (binfmt).
EMULATED_LABEL = 'docker_emulated_architectures'


# Placement traits (os-traits names; a test checks each against os_traits).
# HW_ARCH_<arch>: the host runs it natively (Nova's image_metadata_prefilter
# requires it for ``hw_architecture``). COMPUTE_ARCH_<arch>: the host runs
# it, natively or emulated (required for ``hw_emulation_architecture``);
# os-traits has no COMPUTE_ARCH trait for i686, armv7l or armv6.
HW_ARCH_TRAITS = {
    X86_64: 'HW_ARCH_X86_64', AARCH64: 'HW_ARCH_AARCH64',
    PPC64LE: 'HW_ARCH_PPC64LE', S390X: 'HW_ARCH_S390X', I686: 'HW_ARCH_I686',
    ARMV7L: 'HW_ARCH_ARMV7', ARMV6: 'HW_ARCH_ARMV6'}
COMPUTE_ARCH_TRAITS = {
    X86_64: 'COMPUTE_ARCH_X86_64', AARCH64: 'COMPUTE_ARCH_AARCH64',
    PPC64LE: 'COMPUTE_ARCH_PPC64LE', S390X: 'COMPUTE_ARCH_S390X'}
#: Prefixes of the traits ``placement_traits`` manages.
TRAIT_PREFIXES = ('HW_ARCH_', 'COMPUTE_ARCH_')

# ELF (class, data encoding, e_machine) -> the canonical architectures a
# binfmt_misc registration for such binaries runs (qemu-arm runs ARMv6
# and ARMv7 binaries alike).
_ELF_MACHINES = {
    (2, 1, 62): (X86_64,), (1, 1, 3): (I686,), (2, 1, 183): (AARCH64,),
    (1, 1, 40): (ARMV7L, ARMV6), (2, 1, 21): (PPC64LE,), (2, 2, 22): (S390X,),
}
_ELF_MAGIC = '7f454c46'


def placement_traits(native, emulated=()):
    """The os-traits a host reports for its architectures: HW_ARCH_ of the
    native one, COMPUTE_ARCH_ of every one it runs (native or emulated)
    that os-traits names. Names are canonical (``canonicalize``)."""
    traits = set()
    if native in HW_ARCH_TRAITS:
        traits.add(HW_ARCH_TRAITS[native])
    for name in {native} | set(emulated):
        if name in COMPUTE_ARCH_TRAITS:
            traits.add(COMPUTE_ARCH_TRAITS[name])
    return frozenset(traits)


def binfmt_architectures(text):
    """What one ``/proc/sys/fs/binfmt_misc/<entry>`` lets containers run.

    Returns (frozenset of canonical architectures, None) or (empty
    frozenset, why not). An entry counts when it is enabled, matches ELF
    binaries by magic at offset 0 for an architecture named here, and has
    the ``F`` flag (the kernel opens the interpreter when it is registered;
    without it the interpreter is looked up inside each container, where
    it is not).
    """
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    fields = {}
    for line in lines[1:]:
        key, _sep, value = line.partition(' ')
        fields[key.rstrip(':')] = value.strip()
    if not lines or lines[0] != 'enabled':
        return frozenset(), 'disabled'
    magic = fields.get('magic', '').lower()
    if not magic.startswith(_ELF_MAGIC) or len(magic) < 40 or (
            fields.get('offset', '0') != '0'):
        return frozenset(), 'not an ELF registration'
    try:
        data = bytes.fromhex(magic[:40])
    except ValueError:
        return frozenset(), 'malformed magic %r' % magic
    order = 'little' if data[5] == 1 else 'big'
    key = (data[4], data[5], int.from_bytes(data[18:20], order))
    archs = _ELF_MACHINES.get(key)
    if archs is None:
        return frozenset(), 'ELF machine %d (class %d) is not an ' \
            'architecture Nova names here' % (key[2], key[0])
    if 'F' not in fields.get('flags', ''):
        return frozenset(), ('no F flag: containers cannot reach the '
                             'interpreter %s' % fields.get('interpreter'))
    return frozenset(archs), None


def canonicalize(name, field='architecture'):
    """Canonical Nova name for ``name``; raise UnknownArchitecture if unknown."""
    if not isinstance(name, str) or not name.strip():
        raise exception.UnknownArchitecture(
            field=field, name=name, known=_known())
    key = name.strip().lower()
    try:
        return _ALIASES[key]
    except KeyError:
        raise exception.UnknownArchitecture(
            field=field, name=name, known=_known()) from None


def canonicalize_all(names, field='architectures'):
    """A frozenset of canonical names from any iterable of spellings."""
    if isinstance(names, str):
        names = [names]
    return frozenset(canonicalize(n, field) for n in names)


def parse_emulated(value):
    """A ``docker_emulated_architectures`` value ("x86_64,arm64") ->
    (frozenset of canonical names, [names not understood]).

    The declarations (aggregate metadata, compute stats, engine labels)
    are read as they are, nothing validated them when they were set:
    ArchitectureFilter, the reclaim service and the Heat plugin all ignore
    an unknown name, with a warning, and keep the rest
    (``emulated_declared``).
    """
    known = set()
    unknown = []
    for name in str(value).split(','):
        if not name.strip():
            continue
        try:
            known.add(canonicalize(name, EMULATED_LABEL))
        except exception.UnknownArchitecture:
            unknown.append(name.strip())
    return frozenset(known), unknown


def emulated_declared(value, declared_by):
    """The known names of ``parse_emulated(value)``; the unknown ones are
    logged as ignored, naming ``declared_by`` ("aggregate binfmt")."""
    known, unknown = parse_emulated(value)
    if unknown:
        LOG.warning('%s declares unknown emulated architectures %s; '
                    'ignored', declared_by, ', '.join(unknown))
    return known


def to_oci(name):
    return OCI_NAMES[canonicalize(name)]


def parse_platform(value, field=PLATFORMS_PROPERTY):
    """``os/arch[/variant]`` (OCI) -> canonical architecture.

    Only ``linux`` platforms run on a Docker host; anything else is an error
    rather than a silent non-match, so an index of Windows images is reported.
    """
    parts = value.strip().split('/')
    if len(parts) not in (2, 3) or not all(parts):
        raise exception.MalformedPlatform(
            field=field, value=value, reason='expected os/arch[/variant]')
    os_name = parts[0].lower()
    if os_name != 'linux':
        raise exception.MalformedPlatform(
            field=field, value=value,
            reason='only linux platforms run on Docker hosts')
    arch = parts[1].lower()
    if len(parts) == 3:
        variant = parts[2].lower()
        if arch in ('arm', 'arm64', 'aarch64'):
            joined = '%s/%s' % (arch, variant)
            if joined in _ALIASES:
                return _ALIASES[joined]
            if arch == 'arm' and variant == 'v5':
                # Nothing in Nova names ARMv5; refuse instead of guessing.
                raise exception.MalformedPlatform(
                    field=field, value=value, reason='arm/v5 is not supported')
            raise exception.MalformedPlatform(
                field=field, value=value,
                reason='unknown variant %r for %s' % (variant, arch))
        if arch in ('amd64', 'x86_64') and variant in ('v1', 'v2', 'v3',
                                                       'v4'):
            return X86_64
        raise exception.MalformedPlatform(
            field=field, value=value,
            reason='unexpected variant %r for %s' % (variant, arch))
    return canonicalize(arch, field)


def parse_platforms(value, field=PLATFORMS_PROPERTY):
    """Comma-separated (or list of) platforms -> frozenset of canonical names."""
    if isinstance(value, str):
        items = [v for v in (p.strip() for p in value.split(',')) if v]
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = list(value)
    else:
        raise exception.MalformedPlatform(
            field=field, value=value, reason='expected a comma-separated list')
    if not items:
        raise exception.MalformedPlatform(
            field=field, value=value, reason='no platforms listed')
    return frozenset(parse_platform(i, field) for i in items)


def image_architectures(properties):
    """Architectures an image runs on, from its properties; None means any.

    ``docker_platforms`` (multi-arch index) wins over ``hw_architecture``
    and ``hw_emulation_architecture`` (Nova's way of saying the image is
    for that architecture and may run emulated); a single-architecture
    property must agree with the others, else the image is ambiguous.
    """
    props = properties or {}
    plats = props.get(PLATFORMS_PROPERTY)
    result = None
    source = PLATFORMS_PROPERTY
    if plats not in (None, ''):
        result = parse_platforms(plats)
    for field in (EMULATION_PROPERTY, ARCH_PROPERTY):
        single = props.get(field)
        if single in (None, ''):
            continue
        one = canonicalize(single, field)
        if result is None:
            result, source = frozenset((one,)), field
        elif one not in result:
            raise exception.MalformedPlatform(
                field=field, value=single,
                reason='not among %s %s (a container image has the '
                       'architectures it was built for)'
                       % (source, sorted(result)))
    return result


def _known():
    return ', '.join(sorted(_ALIASES))

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

"""What the driver tells Placement and the scheduler about architectures:
HW_ARCH_<native> and COMPUTE_ARCH_<each one it runs>, from the engine's
architecture, its daemon label and (local engine) a binfmt_misc table."""

import logging

from nova.compute import provider_tree
import pytest

from nova_docker_driver import hostinfo
from tests.unit.scheduler_filters.test_arch import binfmt_entry
from tests.unit.scheduler_filters.test_arch import QEMU_MAGIC

NODE = 'fake-compute'


@pytest.fixture
def binfmt(tmp_path, monkeypatch):
    """A binfmt_misc directory the test fills: {entry name: text}."""
    root = tmp_path / 'binfmt_misc'
    root.mkdir()
    (root / 'status').write_text('enabled\n')
    (root / 'register').write_text('')
    monkeypatch.setattr(hostinfo, 'BINFMT_MISC', str(root))
    monkeypatch.setattr(hostinfo, '_warned', set())

    def register(name, text):
        (root / name).write_text(text)

    def unregister(name):
        (root / name).unlink()
    register.unregister = unregister
    register.root = root
    return register


def _traits(driver, tree=None):
    tree = tree or provider_tree.ProviderTree()
    if not tree.exists(NODE):
        tree.new_root(NODE, 'rp-uuid')
    driver.get_available_resource(NODE)  # fresh engine facts
    driver.update_provider_tree(tree, NODE)
    return tree, {t for t in tree.data(NODE).traits
                  if t.startswith(('HW_ARCH_', 'COMPUTE_ARCH_'))}


def test_native_only_without_emulation(driver, binfmt):
    _tree, traits = _traits(driver)
    assert traits == {'HW_ARCH_X86_64', 'COMPUTE_ARCH_X86_64'}
    assert driver.get_available_resource(NODE)['stats'] == {}


def test_local_engine_reports_what_binfmt_emulates(driver, binfmt, caplog):
    driver.backend.local = True
    binfmt('qemu-aarch64', binfmt_entry(QEMU_MAGIC['aarch64']))
    binfmt('qemu-arm', binfmt_entry(QEMU_MAGIC['arm']))
    binfmt('qemu-s390x', binfmt_entry(QEMU_MAGIC['s390x'], flags='OC'))
    binfmt('qemu-riscv64', binfmt_entry(QEMU_MAGIC['riscv64']))
    binfmt('python3.11', 'enabled\ninterpreter /usr/bin/python3.11\n'
           'flags: \noffset 0\nmagic a70d0d0a\n')
    caplog.set_level(logging.WARNING)
    tree, traits = _traits(driver)
    # armv7l/armv6 have no COMPUTE_ARCH trait in os-traits; s390x lacks
    # the F flag; riscv64 is no architecture the project names.
    assert traits == {'HW_ARCH_X86_64', 'COMPUTE_ARCH_X86_64',
                      'COMPUTE_ARCH_AARCH64'}
    assert 'CUSTOM_HYPERVISOR_DOCKER' in tree.data(NODE).traits
    # The filters see the same through the compute stat.
    stats = driver.get_available_resource(NODE)['stats']
    assert stats == {'docker_emulated_architectures': 'aarch64,armv6,armv7l'}
    assert 'qemu-s390x does not count as emulation: no F flag' in caplog.text
    assert 'python3.11' not in caplog.text
    # Said once, not at every resource update.
    caplog.clear()
    _traits(driver)
    assert 'qemu-s390x' not in caplog.text


def test_remote_engine_ignores_this_hosts_binfmt(driver, binfmt):
    driver.backend.local = False
    binfmt('qemu-aarch64', binfmt_entry(QEMU_MAGIC['aarch64']))
    _tree, traits = _traits(driver)
    assert traits == {'HW_ARCH_X86_64', 'COMPUTE_ARCH_X86_64'}


def test_disabled_binfmt_misc_counts_nothing(driver, binfmt):
    driver.backend.local = True
    binfmt('qemu-aarch64', binfmt_entry(QEMU_MAGIC['aarch64']))
    (binfmt.root / 'status').write_text('disabled\n')
    assert _traits(driver)[1] == {'HW_ARCH_X86_64', 'COMPUTE_ARCH_X86_64'}


def test_daemon_label_declares_emulation_of_a_remote_engine(driver, binfmt,
                                                             caplog):
    driver.backend.info_data['Labels'] = [
        'docker_emulated_architectures=ppc64le,arm64,riscv128', 'zone=a']
    _tree, traits = _traits(driver)
    assert traits == {'HW_ARCH_X86_64', 'COMPUTE_ARCH_X86_64',
                      'COMPUTE_ARCH_PPC64LE', 'COMPUTE_ARCH_AARCH64'}
    assert 'declares unknown emulated architectures riscv128' in caplog.text


def test_arm64_engine_is_aarch64(driver, binfmt):
    driver.backend.version_data['Arch'] = 'arm64'
    _tree, traits = _traits(driver)
    assert traits == {'HW_ARCH_AARCH64', 'COMPUTE_ARCH_AARCH64'}
    res = driver.get_available_resource(NODE)
    assert res['supported_instances'][0][0] == 'aarch64'


def test_emulation_that_goes_away_takes_its_trait_with_it(driver, binfmt):
    driver.backend.local = True
    binfmt('qemu-aarch64', binfmt_entry(QEMU_MAGIC['aarch64']))
    tree, traits = _traits(driver)
    assert 'COMPUTE_ARCH_AARCH64' in traits
    # An operator's own traits stay; the driver's arch traits follow it.
    tree.add_traits(NODE, 'CUSTOM_RACK_7', 'HW_ARCH_S390X')
    binfmt.unregister('qemu-aarch64')
    tree, traits = _traits(driver, tree)
    assert traits == {'HW_ARCH_X86_64', 'COMPUTE_ARCH_X86_64'}
    assert 'CUSTOM_RACK_7' in tree.data(NODE).traits

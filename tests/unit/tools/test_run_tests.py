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

"""tools/run_tests.py: every test directory belongs to a group; counts add up."""

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
sys.path.insert(0, os.path.join(ROOT, 'tools'))
import run_tests  # noqa: E402


def test_every_test_directory_is_in_a_group():
    run_tests._check_coverage()


def test_orphan_directory_fails_the_run(monkeypatch):
    monkeypatch.setattr(run_tests, '_test_dirs',
                        lambda: {'tests/unit/nowhere'})
    with pytest.raises(SystemExit) as err:
        run_tests._check_coverage()
    assert 'tests/unit/nowhere' in str(err.value)


def test_junit_counts_are_summed(tmp_path):
    xml = tmp_path / 'r.xml'
    xml.write_text(
        '<testsuites><testsuite tests="5" failures="1" errors="1" '
        'skipped="2"/><testsuite tests="3" failures="0" errors="0" '
        'skipped="0"/></testsuites>')
    assert run_tests._counts(str(xml)) == dict(
        tests=8, failures=1, errors=1, skipped=2)
    assert run_tests._counts(str(tmp_path / 'missing.xml'))['tests'] == 0


def test_quick_runs_only_the_unit_paths_of_each_group():
    for _group, paths in run_tests.GROUPS:
        picked = run_tests._selected(paths, quick=True)
        assert all(p.startswith('tests/unit/') for p in picked), picked
        assert set(picked) <= set(run_tests._selected(paths, quick=False))
    nova = dict(run_tests.GROUPS)['nova']
    assert run_tests._selected(nova, quick=True) == [
        'tests/unit/nova_docker_driver']


class _Item:
    """What tests/conftest.py reads of a collected test."""

    def __init__(self, path, fixtures=(), markers=()):
        self.path = os.path.join(ROOT, path)
        self.fixturenames = list(fixtures)
        self._markers = set(markers)

    def get_closest_marker(self, name):
        return name if name in self._markers else None


@pytest.mark.parametrize('item, quick', [
    (_Item('tests/unit/x/test_a.py', ['tmp_path']), True),
    (_Item('tests/unit/x/test_a.py', ['docker']), False),
    (_Item('tests/unit/x/test_a.py', ['docker_client']), False),
    (_Item('tests/unit/x/test_a.py', markers=['slow']), False),
    (_Item('tests/unit/x/test_a.py', markers=['root']), False),
    (_Item('tests/unit/x/test_a.py', markers=['docker']), False),
    (_Item('tests/functional/x/test_a.py'), False),
    (_Item('tests/unitary/test_a.py'), False),
])
def test_quick_classification(item, quick):
    from tests import conftest
    assert conftest.is_quick(item) is quick

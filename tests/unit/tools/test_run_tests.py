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

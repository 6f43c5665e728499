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

"""PlanStore: reload on change, keep the last good plan, log loudly."""

import logging
import os

import pytest

from scheduler_filters import exception
from scheduler_filters.core import loader

V1 = 'version: 1\nprojects:\n - name: a\n   owns: {VCPU: 1}\n'
V2 = 'version: 1\nprojects:\n - name: b\n   owns: {VCPU: 2}\n'
BROKEN = 'version: 1\nprojects:\n - name: a\n   owns: {VCPU: -5}\n'


def write(path, text):
    tmp = str(path) + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
    os.replace(tmp, path)


def test_reload_keeps_last_good_plan_and_logs_loudly(tmp_path, caplog):
    path = tmp_path / 'plan.yaml'
    write(path, V1)
    store = loader.PlanStore(str(path), check_interval=0)
    assert store.get().plan.node_for('a') is not None
    write(path, V2)
    assert store.get().plan.node_for('b') is not None
    with caplog.at_level(logging.ERROR):
        write(path, BROKEN)
        config = store.get()
    assert config.plan.node_for('b') is not None  # last good kept
    assert 'SHARE PLAN NOT RELOADED' in caplog.text
    assert 'a.owns.VCPU' in caplog.text
    assert 'a.owns.VCPU' in store.last_error
    # Still broken: said again on the next check.
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        store.get()
    assert 'SHARE PLAN NOT RELOADED' in caplog.text
    # Removed file: still the last good plan.
    os.unlink(path)
    assert store.get().plan.node_for('b') is not None
    # Fixed: the new plan is used and the error is gone.
    write(path, V1)
    assert store.get().plan.node_for('a') is not None
    assert store.last_error is None


def test_no_plan_ever_loaded_raises(tmp_path):
    path = tmp_path / 'plan.yaml'
    store = loader.PlanStore(str(path), check_interval=0)
    with pytest.raises(exception.SharePlanUnavailable) as e:
        store.get()
    assert str(path) in str(e.value)
    write(path, BROKEN)
    with pytest.raises(exception.SharePlanUnavailable) as e:
        store.get()
    assert 'a.owns.VCPU' in str(e.value)


def test_check_interval_limits_stat_calls(tmp_path):
    path = tmp_path / 'plan.yaml'
    write(path, V1)
    now = [100.0]
    store = loader.PlanStore(str(path), check_interval=5,
                             clock=lambda: now[0])
    store.get()
    write(path, V2)
    assert store.get().plan.node_for('a') is not None  # not yet checked
    now[0] += 5
    assert store.get().plan.node_for('b') is not None


def test_missing_at_first_load_names_the_option_and_path(tmp_path):
    path = str(tmp_path / 'absent.yaml')
    store = loader.PlanStore(path, option='[docker_share_reclaim] '
                             'share_plan_file')
    with pytest.raises(exception.SharePlanUnavailable) as err:
        store.get()
    assert '[docker_share_reclaim] share_plan_file' in str(err.value)
    assert path in str(err.value)
    assert 'No such file' in str(err.value)


def test_store_for_shares_one_store_per_path(tmp_path):
    path = str(tmp_path / 'plan.yaml')
    write(path, V1)
    loader.forget()
    try:
        one = loader.store_for(path, 0, option='[a] share_plan_file')
        assert loader.store_for(path, 0) is one
        assert one.option == '[a] share_plan_file'
    finally:
        loader.forget()

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

"""The Heat plugin's share plan: the scheduler_filters loader, last good plan
kept on a bad edit, a clear error when the file is missing at first load."""

from tests.rig import heat as heat_rig  # noqa: F401,I100 - first, see the rig

import logging  # noqa: E402
import os  # noqa: E402

import pytest  # noqa: E402
from oslo_config import cfg  # noqa: E402

from heat_plugin import conf  # noqa: E402
from heat_plugin import placement  # noqa: E402
from scheduler_filters import exception as sched_exception  # noqa: E402
from scheduler_filters.core import loader  # noqa: E402

conf.register_opts(cfg.CONF)

GOOD = ('version: 1\nresources: [instances]\nprojects:\n'
        '  - {name: a, project_id: pa, owns: {instances: 2}}\n')
OTHER = ('version: 1\nresources: [instances]\nprojects:\n'
         '  - {name: b, project_id: pb, owns: {instances: 3}}\n')
BAD = ('version: 1\nresources: [instances]\nprojects:\n'
       '  - {name: a, project_id: pa, owns: {instances: -1}}\n')


def write(path, text):
    tmp = str(path) + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
    os.replace(tmp, path)


@pytest.fixture
def plan_file(tmp_path, monkeypatch):
    path = tmp_path / 'share-plan.yaml'
    cfg.CONF.set_override('share_plan_file', str(path), group='docker_hosts')
    monkeypatch.setattr(placement, 'PLAN_CHECK_INTERVAL', 0)
    loader.forget()
    yield path
    cfg.CONF.clear_override('share_plan_file', group='docker_hosts')
    loader.forget()


def test_no_plan_file_configured():
    assert placement.share_plan() is None


def test_bad_edit_keeps_the_last_good_plan(plan_file, caplog):
    write(plan_file, GOOD)
    assert placement.share_plan().plan.node_for('pa') is not None
    write(plan_file, OTHER)
    assert placement.share_plan().plan.node_for('pb') is not None
    with caplog.at_level(logging.ERROR):
        write(plan_file, BAD)
        kept = placement.share_plan()
    assert kept.plan.node_for('pb') is not None
    assert kept.plan.node_for('pa') is None
    assert 'SHARE PLAN NOT RELOADED' in caplog.text
    assert str(plan_file) in caplog.text
    assert 'a.owns.instances' in caplog.text
    # Removed afterwards: still the last good plan, said loudly.
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        os.unlink(plan_file)
        assert placement.share_plan().plan.node_for('pb') is not None
    assert 'cannot stat' in caplog.text
    write(plan_file, GOOD)
    assert placement.share_plan().plan.node_for('pa') is not None


def test_missing_file_at_first_load_names_option_and_path(plan_file):
    with pytest.raises(sched_exception.SharePlanUnavailable) as err:
        placement.share_plan()
    message = str(err.value)
    assert '[docker_hosts] share_plan_file' in message
    assert str(plan_file) in message
    assert 'No such file' in message
    assert not isinstance(err.value, FileNotFoundError)


def test_bad_file_at_first_load_names_option_and_problem(plan_file):
    write(plan_file, BAD)
    with pytest.raises(sched_exception.SharePlanUnavailable) as err:
        placement.share_plan()
    assert '[docker_hosts] share_plan_file' in str(err.value)
    assert 'a.owns.instances' in str(err.value)

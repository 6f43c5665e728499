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

"""Share plan parsing and validation: errors name the node at fault."""

import datetime

import pytest

from scheduler_filters import exception
from scheduler_filters.core import plan

GOOD = """
version: 1
projects:
  - name: research
    owns: {VCPU: 8, MEMORY_MB: 16384, instances: 10}
    children:
      - name: team-a
        project_id: 1111
        owns: {VCPU: 4}
        share_ratio: 2
        lend: false
        borrow_limit: {VCPU: 2}
      - name: team-b
        owns: {VCPU: 4}
  - name: ops
    owns: {VCPU: 8}
    priority: 3
aggregates:
  fast:
    projects:
      - name: ops
        owns: {VCPU: 4}
schedule:
  - name: night
    from: "20:00"
    to: "06:00"
    projects:
      - name: batch
        owns: {VCPU: 16}
"""


def test_good_plan_parses():
    cfg = plan.loads(GOOD, source='good.yaml')
    p = cfg.plan
    assert [r.name for r in p.roots] == ['research', 'ops']
    a = p.node_for('1111')
    assert a.name == 'team-a' and a.parent.name == 'research'
    assert a.path() == 'research/team-a'
    assert a.share_ratio == 2.0 and a.lend is False
    assert a.borrow_limit == {'VCPU': 2}
    assert p.node_for('team-b').lend is True
    assert p.node_for('ops').priority == 3
    assert p.node_for('nobody') is None
    assert set(cfg.aggregates) == {'fast'}
    assert cfg.aggregates['fast'].node_for('ops').owns == {'VCPU': 4}


def _at(hh, mm=0):
    return datetime.datetime(2026, 1, 1, hh, mm,
                             tzinfo=datetime.timezone.utc)


def test_time_of_day_windows_wrap_midnight():
    cfg = plan.loads(GOOD)
    assert cfg.active(_at(12))[0] is cfg.plan
    for hour in (20, 23, 0, 5):
        active, aggs = cfg.active(_at(hour, 30))
        assert active.node_for('batch') is not None, hour
        assert 'fast' in aggs  # aggregate plans stay unless overridden
    assert cfg.active(_at(6))[0] is cfg.plan


def test_unquoted_yaml_time_is_understood():
    # YAML 1.1 reads 20:00 unquoted as the number 1200.
    text = GOOD.replace('"20:00"', '20:00')
    assert plan.loads(text).windows[0].start == datetime.time(20, 0)


@pytest.mark.parametrize('text,node,fragment', [
    ('version: 2\nprojects: []', 'version', 'must be 1'),
    ('projects: []', 'version', 'must be 1'),
    ('[1, 2]', '<file>', 'mapping'),
    ('version: 1\nprojects: [a: 1', '<file>', 'not YAML'),
    ('version: 1\nprojets: []', '<file>', 'unknown key(s) projets'),
    ('version: 1', '<plan>.projects', 'missing'),
    ('version: 1\nprojects:\n - name: a\n   owns: {VCPU: -1}',
     'a.owns.VCPU', 'non-negative'),
    ('version: 1\nprojects:\n - name: a\n   owns: {VCPU: 1.5}',
     'a.owns.VCPU', 'whole number'),
    ('version: 1\nprojects:\n - name: a\n   owns: {GPU: 1}',
     'a.owns.GPU', 'unknown resource'),
    ('version: 1\nprojects:\n - name: a\n   share_ratio: 0',
     'a.share_ratio', 'positive'),
    ('version: 1\nprojects:\n - name: a\n   lend: "yes"', 'a.lend',
     'true or false'),
    ('version: 1\nprojects:\n - name: a\n   colour: red', 'a',
     'unknown key(s) colour'),
    ('version: 1\nprojects:\n - name: a\n - name: a', 'a', 'duplicate'),
    ('version: 1\nprojects:\n - name: a\n - name: b\n   project_id: a',
     'b.project_id', 'already node a'),
    ('version: 1\nprojects:\n - owns: {}', 'projects[0].name',
     'non-empty'),
    ('version: 1\nprojects:\n - name: p\n   owns: {VCPU: 4}\n'
     '   children:\n    - name: c1\n      owns: {VCPU: 3}\n'
     '    - name: c2\n      owns: {VCPU: 2}', 'p.owns.VCPU',
     'children own 5'),
    ('version: 1\nprojects:\n - name: p\n   children:\n    - name: c\n'
     '      children:\n       - name: c\n', 'p/c/c', 'duplicate'),
    ('version: 1\nunlisted_projects: maybe\nprojects: []',
     '<plan>.unlisted_projects', "'borrow' or 'deny'"),
    ('version: 1\nprojects: []\nschedule:\n - from: "25:00"\n   to: "1:00"',
     'schedule[schedule[0]].from', 'HH:MM'),
    ('version: 1\nprojects: []\nschedule:\n - from: "1:00"\n   to: "1:00"',
     'schedule[schedule[0]]', 'equal'),
    ('version: 1\nprojects: []\naggregates:\n  fast: {}',
     'aggregates[fast].projects', 'missing'),
])
def test_invalid_plans_name_the_node(text, node, fragment):
    with pytest.raises(exception.InvalidSharePlan) as e:
        plan.loads(text, source='plan.yaml')
    msg = str(e.value)
    assert 'plan.yaml' in msg
    assert 'at %s:' % node in msg, msg
    assert fragment in msg, msg


def test_shipped_example_plan_is_valid():
    import os
    path = os.path.join(os.path.dirname(__file__), '..', '..', '..', 'etc',
                        'scheduler_filters', 'share-plan.yaml.example')
    cfg = plan.load_file(path)
    assert cfg.plan.node_for('ops').borrow is False
    assert cfg.windows[0].name == 'night'

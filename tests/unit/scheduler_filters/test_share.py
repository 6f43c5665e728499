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

"""Share decisions: own, lend, borrow, limits, ratios, hierarchy."""

from scheduler_filters.core import plan
from scheduler_filters.core import share

TREE = """
version: 1
resources: [VCPU]
unlisted_projects: %(unlisted)s
projects:
  - name: research
    owns: {VCPU: 8}
    children:
      - name: a
        owns: {VCPU: 4}
        borrow_limit: {VCPU: 6}
      - name: b
        owns: {VCPU: 4}
        lend_limit: {VCPU: 2}
  - name: ops
    owns: {VCPU: 8}
    borrow: false
  - name: closed
    owns: {VCPU: 4}
    lend: false
"""


def pool(usage, capacity=20, unlisted='deny', text=TREE):
    cfg = plan.loads(text % {'unlisted': unlisted})
    return share.Pool(cfg.plan, {'VCPU': capacity},
                      {p: {'VCPU': v} for p, v in usage.items()})


def ask(p, project, vcpus):
    return p.decide(project, {'VCPU': vcpus, 'instances': 1})


def test_entitlement_splits_unowned_capacity_by_ratio():
    p = pool({})
    # 20 - 20 owned = 0 unowned at the top.
    assert p.ent[p.plan.node_for('ops')]['VCPU'] == 8
    text = TREE.replace('owns: {VCPU: 8}\n    borrow: false',
                        'owns: {VCPU: 2}\n    borrow: false\n'
                        '    share_ratio: 2')
    p = pool({}, text=text)
    # 20 - 14 owned = 6 unowned: research 1/4, ops 2/4, closed 1/4.
    ent = {n: p.ent[p.plan.node_for(n)]['VCPU']
           for n in ('research', 'ops', 'closed')}
    assert ent == {'research': 9.5, 'ops': 5.0, 'closed': 5.5}
    # research's extra 1.5 goes to its children equally.
    assert p.ent[p.plan.node_for('a')]['VCPU'] == 4.75


def test_within_share_places_and_is_not_borrowed():
    d = ask(pool({'a': 2}), 'a', 2)
    assert d.allowed and not d.borrowed
    assert d.reason == 'within entitlement'


def test_borrow_from_sibling_respects_lend_limit():
    # a at 4 (its share); b lends at most 2.
    p = pool({'a': 4, 'ops': 8, 'closed': 4})
    d = ask(p, 'a', 2)
    assert d.allowed and d.borrowed
    p = pool({'a': 6, 'ops': 8, 'closed': 4})
    d = ask(p, 'a', 1)
    # Sibling b lends no more; research as a whole is at 6 of 8 so it
    # does not borrow at the top either: refused naming the siblings.
    assert not d.allowed
    assert 'siblings of research/a do not lend enough' in d.reason


def test_borrow_climbs_the_tree_to_lenders_at_the_top():
    # research full (a 4+2 borrowed from b, b 2), ops idle and lending.
    p = pool({'a': 6, 'b': 2})
    d = ask(p, 'a', 2)
    assert d.allowed and d.borrowed
    assert d.reason == 'borrows from siblings of research'


def test_borrow_limit_and_no_borrow_switch():
    p = pool({'a': 10})
    d = ask(p, 'a', 1)  # would borrow 7 > limit 6
    assert not d.allowed and 'borrow limit 6' in d.reason
    d = ask(pool({'ops': 8}), 'ops', 1)
    assert not d.allowed and 'ops is at its share and may not borrow' in \
        d.reason


def test_lend_false_is_never_borrowed_from():
    # Everyone but closed is at its share; closed idle but does not lend.
    p = pool({'a': 4, 'b': 4, 'ops': 8})
    d = ask(p, 'a', 1)
    assert not d.allowed and 'nobody lends enough VCPU' in d.reason


def test_current_borrowers_use_up_the_lending():
    # ops lends 8 at the top; research already borrows 6 of it.
    p = pool({'a': 10, 'b': 4})
    assert ask(p, 'a', 2).allowed is False  # a's own borrow limit (6)
    p = pool({'a': 8, 'b': 6})
    assert ask(p, 'b', 2).allowed       # research borrows 6 -> 8
    assert not ask(p, 'b', 3).allowed   # 9 > ops' 8


def test_unlisted_projects():
    d = ask(pool({}), 'stranger', 1)
    assert not d.allowed and 'not in the share plan' in d.reason
    p = pool({}, capacity=24, unlisted='borrow')
    # 4 unowned split four ways: the unlisted share is 1.
    d = ask(p, 'stranger', 1)
    assert d.allowed and not d.borrowed
    d = ask(p, 'stranger', 3)
    assert d.allowed and d.borrowed
    p = pool({'a': 5, 'b': 5, 'ops': 9, 'closed': 4, 'x': 1}, capacity=24,
             unlisted='borrow')
    assert not ask(p, 'stranger', 1).allowed


def test_resources_outside_the_plan_are_not_limited():
    p = pool({'a': 0})
    d = p.decide('a', {'VCPU': 1, 'MEMORY_MB': 10 ** 9})
    assert d.allowed and not d.borrowed


def test_borrowed_amount_and_shortfall():
    p = pool({'a': 7, 'b': 1})
    a = p.plan.node_for('a')
    assert p.borrowed_amount(a)['VCPU'] == 3
    ops = p.plan.node_for('ops')
    assert p.shortfall(ops, {'VCPU': 10})['VCPU'] == 8

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

"""Share plans: a versioned tree of projects that own, lend and borrow.

The model follows EGO's resource sharing plans: each node owns amounts per
resource; a parent owns at least the sum of its children; capacity nobody
owns is split among siblings by share ratio (that split plus what a node
owns is its *entitlement*); a node may lend idle entitlement and borrow
others' up to limits. File format (YAML)::

    version: 1
    resources: [VCPU, MEMORY_MB, instances]      # optional, this default
    capacity: {instances: 200}                   # pool size where hosts
                                                 # do not say (instances)
    unlisted_projects: borrow                    # or deny
    unlisted_share_ratio: 1
    projects:
      - name: research                           # unique
        project_id: 8d1f...                      # default: name
        owns: {VCPU: 64, MEMORY_MB: 131072, instances: 40}
        share_ratio: 2                           # default 1
        lend: true                               # default true
        lend_limit: {VCPU: 32}                   # default unlimited
        borrow: true                             # default true
        borrow_limit: {VCPU: 16}                 # default unlimited
        priority: 10                             # reclaim takes lower first
        children: [...]
    aggregates:                                  # per-aggregate plans, for
      fast-hosts: {projects: [...]}              # hosts in that aggregate
    schedule:                                    # time-of-day plans (UTC)
      - {name: night, from: "20:00", to: "06:00", projects: [...]}

This module only parses and validates; decisions live in ``share``.
"""

import dataclasses
import datetime
import math

import yaml

from scheduler_filters import exception
from scheduler_filters.core import facts

VERSION = 1
DEFAULT_RESOURCES = (facts.VCPU, facts.MEMORY_MB, facts.INSTANCES)
UNLISTED = '<unlisted>'

_PLAN_KEYS = {'resources', 'capacity', 'unlisted_projects',
              'unlisted_share_ratio', 'projects'}
_FILE_KEYS = _PLAN_KEYS | {'version', 'aggregates', 'schedule'}
_WINDOW_KEYS = _PLAN_KEYS | {'name', 'from', 'to', 'aggregates'}
_NODE_KEYS = {'name', 'project_id', 'owns', 'share_ratio', 'lend',
              'lend_limit', 'borrow', 'borrow_limit', 'priority', 'children'}


@dataclasses.dataclass(eq=False)
class Node:
    name: str
    project_id: str
    owns: dict
    share_ratio: float = 1.0
    lend: bool = True
    lend_limit: dict = dataclasses.field(default_factory=dict)
    borrow: bool = True
    borrow_limit: dict = dataclasses.field(default_factory=dict)
    priority: int = 0
    children: list = dataclasses.field(default_factory=list)
    parent: 'Node | None' = None

    def path(self):
        names = []
        node = self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return '/'.join(reversed(names))

    def walk(self):
        yield self
        for child in self.children:
            yield from child.walk()


@dataclasses.dataclass(eq=False)
class Plan:
    """One tree (the default one, an aggregate's, or a time window's)."""

    resources: tuple
    roots: list
    capacity: dict = dataclasses.field(default_factory=dict)
    unlisted: str = 'borrow'
    unlisted_share_ratio: float = 1.0
    by_project: dict = dataclasses.field(default_factory=dict)

    def node_for(self, project_id):
        """The node for a project, or None when the project is unlisted."""
        return self.by_project.get(project_id)


@dataclasses.dataclass(eq=False)
class Window:
    name: str
    start: datetime.time
    end: datetime.time
    plan: Plan
    aggregates: dict

    def covers(self, now):
        t = now.time()
        if self.start <= self.end:
            return self.start <= t < self.end
        return t >= self.start or t < self.end  # wraps past midnight


@dataclasses.dataclass(eq=False)
class ShareConfig:
    """A whole plan file: default plan, per-aggregate plans, time windows."""

    plan: Plan
    aggregates: dict
    windows: list
    source: str = '<memory>'

    def active(self, now=None):
        """(plan, {aggregate: plan}) in force at ``now`` (UTC)."""
        now = now or datetime.datetime.now(datetime.timezone.utc)
        for window in self.windows:
            if window.covers(now):
                aggs = dict(self.aggregates)
                aggs.update(window.aggregates)
                return window.plan, aggs
        return self.plan, self.aggregates

    def all_plans(self):
        yield self.plan
        yield from self.aggregates.values()
        for w in self.windows:
            yield w.plan
            yield from w.aggregates.values()


def load_file(path):
    try:
        with open(path) as f:
            text = f.read()
    except OSError as e:
        raise exception.InvalidSharePlan(source=path, node='<file>',
                                         reason=str(e)) from None
    return loads(text, source=path)


def loads(text, source='<string>'):
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise exception.InvalidSharePlan(
            source=source, node='<file>', reason='not YAML: %s' % e) from None
    return parse(data, source)


def parse(data, source='<memory>'):
    """Validate a plan document (already loaded from YAML) into a ShareConfig."""
    p = _Parser(source)
    if not isinstance(data, dict):
        p.fail('<file>', 'expected a mapping at the top')
    p.keys('<file>', data, _FILE_KEYS)
    if data.get('version') != VERSION:
        p.fail('version', 'must be %d, got %r' % (VERSION,
                                                   data.get('version')))
    plan = p.plan('<plan>', data, None)
    aggregates = p.aggregates('aggregates', data.get('aggregates'), plan)
    windows = []
    sched = data.get('schedule') or []
    if not isinstance(sched, list):
        p.fail('schedule', 'expected a list of time windows')
    for i, w in enumerate(sched):
        where = 'schedule[%d]' % i
        if not isinstance(w, dict):
            p.fail(where, 'expected a mapping')
        p.keys(where, w, _WINDOW_KEYS)
        name = w.get('name', where)
        where = 'schedule[%s]' % name
        start = p.clock(where + '.from', w.get('from'))
        end = p.clock(where + '.to', w.get('to'))
        if start == end:
            p.fail(where, 'from and to are equal')
        wplan = p.plan(where, w, plan)
        waggs = p.aggregates(where + '.aggregates', w.get('aggregates'),
                             wplan)
        windows.append(Window(name, start, end, wplan, waggs))
    return ShareConfig(plan, aggregates, windows, source)


class _Parser:
    def __init__(self, source):
        self.source = source

    def fail(self, node, reason):
        raise exception.InvalidSharePlan(source=self.source, node=node,
                                         reason=reason)

    def keys(self, where, data, allowed):
        unknown = sorted(set(data) - allowed)
        if unknown:
            self.fail(where, 'unknown key(s) %s (allowed: %s)'
                      % (', '.join(map(str, unknown)),
                         ', '.join(sorted(allowed))))

    def clock(self, where, value):
        if isinstance(value, int) and not isinstance(value, bool):
            # YAML 1.1 reads an unquoted 20:00 as sexagesimal 1200.
            if 0 <= value < 24 * 60:
                return datetime.time(value // 60, value % 60)
        if isinstance(value, str):
            try:
                hh, mm = value.split(':')
                return datetime.time(int(hh), int(mm))
            except ValueError:
                pass
        self.fail(where, 'expected a time HH:MM, got %r' % (value,))

    def number(self, where, value, integer=False, positive=False):
        ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
              and math.isfinite(value))
        if ok and integer and isinstance(value, float):
            ok = value.is_integer()
        if not ok:
            self.fail(where, 'expected a %snumber, got %r'
                      % ('whole ' if integer else '', value))
        if value < 0 or (positive and value == 0):
            self.fail(where, 'must be %s, got %r'
                      % ('positive' if positive else 'non-negative', value))
        return int(value) if integer else float(value)

    def amounts(self, where, value, resources):
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.fail(where, 'expected a mapping of resource to amount')
        out = {}
        for res, amount in value.items():
            if res not in resources:
                self.fail('%s.%s' % (where, res),
                          'unknown resource (plan resources: %s)'
                          % ', '.join(resources))
            out[res] = self.number('%s.%s' % (where, res), amount,
                                   integer=True)
        return out

    def plan(self, where, data, default):
        resources = data.get('resources')
        if resources is None:
            resources = default.resources if default else DEFAULT_RESOURCES
        if (not isinstance(resources, (list, tuple)) or not resources
                or len(set(resources)) != len(resources)):
            self.fail(where + '.resources', 'expected a list of distinct '
                      'resources out of %s' % ', '.join(facts.RESOURCES))
        for r in resources:
            if r not in facts.RESOURCES:
                self.fail(where + '.resources',
                          'unknown resource %r (known: %s)'
                          % (r, ', '.join(facts.RESOURCES)))
        resources = tuple(resources)
        unlisted = data.get('unlisted_projects',
                            default.unlisted if default else 'borrow')
        if unlisted not in ('borrow', 'deny'):
            self.fail(where + '.unlisted_projects',
                      "must be 'borrow' or 'deny', got %r" % (unlisted,))
        ratio = data.get('unlisted_share_ratio',
                         default.unlisted_share_ratio if default else 1.0)
        ratio = self.number(where + '.unlisted_share_ratio', ratio)
        capacity = self.amounts(where + '.capacity', data.get('capacity'),
                                resources)
        projects = data.get('projects')
        if projects is None:
            if default is None:
                self.fail(where + '.projects', 'missing')
            projects = []
        if not isinstance(projects, list):
            self.fail(where + '.projects', 'expected a list of projects')
        plan = Plan(resources, [], capacity, unlisted, ratio)
        names = set()
        for i, item in enumerate(projects):
            plan.roots.append(self.node('projects[%d]' % i, item, None,
                                        plan, names))
        if not plan.roots and default is not None and data.get('projects') is None:
            # A window or aggregate without its own tree reuses the default.
            plan.roots = default.roots
            plan.by_project = default.by_project
        return plan

    def node(self, where, data, parent, plan, names):
        if not isinstance(data, dict):
            self.fail(where, 'expected a mapping')
        name = data.get('name')
        if not isinstance(name, str) or not name.strip():
            self.fail(where + '.name', 'expected a non-empty string')
        where = (parent.path() + '/' if parent else '') + name
        self.keys(where, data, _NODE_KEYS)
        if name in names:
            self.fail(where, 'duplicate name %r' % name)
        names.add(name)
        project_id = data.get('project_id', name)
        if isinstance(project_id, int) and not isinstance(project_id, bool):
            # An all-digit project id reads as a number in YAML.
            project_id = str(project_id)
        if not isinstance(project_id, str) or not project_id:
            self.fail(where + '.project_id', 'expected a non-empty string')
        if project_id in plan.by_project:
            self.fail(where + '.project_id', 'project %r is already node %s'
                      % (project_id, plan.by_project[project_id].path()))
        res = plan.resources
        node = Node(
            name=name, project_id=project_id,
            owns=self.amounts(where + '.owns', data.get('owns'), res),
            share_ratio=self.number(where + '.share_ratio',
                                    data.get('share_ratio', 1),
                                    positive=True),
            lend=self.flag(where + '.lend', data.get('lend', True)),
            lend_limit=self.amounts(where + '.lend_limit',
                                    data.get('lend_limit'), res),
            borrow=self.flag(where + '.borrow', data.get('borrow', True)),
            borrow_limit=self.amounts(where + '.borrow_limit',
                                      data.get('borrow_limit'), res),
            priority=self.priority(where + '.priority',
                                   data.get('priority', 0)),
            parent=parent)
        plan.by_project[project_id] = node
        children = data.get('children') or []
        if not isinstance(children, list):
            self.fail(where + '.children', 'expected a list of projects')
        for i, child in enumerate(children):
            node.children.append(self.node('%s.children[%d]' % (where, i),
                                           child, node, plan, names))
        for r in res:
            total = sum(c.owns.get(r, 0) for c in node.children)
            if total > node.owns.get(r, 0):
                self.fail(where + '.owns.' + r,
                          'owns %d but its children own %d together; a '
                          'parent must own at least the sum of its children'
                          % (node.owns.get(r, 0), total))
        return node

    def flag(self, where, value):
        if not isinstance(value, bool):
            self.fail(where, 'expected true or false, got %r' % (value,))
        return value

    def priority(self, where, value):
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(where, 'expected a whole number, got %r' % (value,))
        return value

    def aggregates(self, where, data, default):
        if data is None:
            return {}
        if not isinstance(data, dict):
            self.fail(where, 'expected a mapping of aggregate name to plan')
        out = {}
        for name, body in data.items():
            w = '%s[%s]' % (where, name)
            if not isinstance(body, dict):
                self.fail(w, 'expected a mapping')
            self.keys(w, body, _PLAN_KEYS)
            if body.get('projects') is None:
                self.fail(w + '.projects', 'missing')
            out[str(name)] = self.plan(w, body, default)
        return out

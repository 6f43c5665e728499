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

"""Usage figures of a swarm-mode bay, the way Magnum's monitors report them.

``pull_data`` asks the manager for the nodes' resources and the running
tasks' reservations; ``compute_metric_value`` turns them into Magnum's
``memory_util`` and ``cpu_util`` (percent of the swarm reserved).
"""


class SwarmMonitor:
    METRICS = {'memory_util': '%', 'cpu_util': '%', 'nodes': 'count',
               'running_tasks': 'count'}

    def __init__(self, driver, context, cluster):
        self.driver = driver
        self.context = context
        self.cluster = cluster
        self.data = {}

    def get_metric_names(self):
        return sorted(self.METRICS)

    def get_metric_unit(self, name):
        return self.METRICS[name]

    def pull_data(self):
        with self.driver._swarm(self.context, self.cluster) as bay:
            leader = bay._require_leader()
            api = bay.engines.client(leader).api
            nodes = api.nodes()
            tasks = [t for t in api.tasks(filters={
                'desired-state': 'running'})
                if t['Status']['State'] == 'running']
        self.data = {
            'nodes': len(nodes),
            'mem_total': sum(_resource(n, 'MemoryBytes') for n in nodes),
            'cpu_total': sum(_resource(n, 'NanoCPUs') for n in nodes),
            'mem_reserved': sum(_reservation(t, 'MemoryBytes')
                                for t in tasks),
            'cpu_reserved': sum(_reservation(t, 'NanoCPUs') for t in tasks),
            'running_tasks': len(tasks),
        }
        return self.data

    def compute_metric_value(self, name):
        d = self.data
        if name == 'memory_util':
            return 100.0 * d['mem_reserved'] / max(d['mem_total'], 1)
        if name == 'cpu_util':
            return 100.0 * d['cpu_reserved'] / max(d['cpu_total'], 1)
        return d[name]


def _resource(node, key):
    # A node that has only just joined has no description yet.
    desc = node.get('Description') or {}
    return (desc.get('Resources') or {}).get(key, 0)


def _reservation(task, key):
    res = task['Spec'].get('Resources') or {}
    return (res.get('Reservations') or {}).get(key, 0)

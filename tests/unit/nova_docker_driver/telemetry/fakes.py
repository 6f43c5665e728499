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

"""Stand-ins for the telemetry readers: an engine API and a clock."""

from docker import errors as docker_errors

from heat_plugin import labels as heat_labels
from nova_docker_driver import labels


class Clock:
    def __init__(self):
        self.now = 100.0

    def __call__(self):
        return self.now


class EngineAPI:
    """The calls of docker.APIClient the readers make."""

    def __init__(self):
        self.listed = []
        self.samples = {}
        self.calls = []
        self.host_configs = {}

    def containers(self, all, filters):
        """The listed containers that have every ``key=value`` label."""
        self.calls.append(('containers', filters))
        wanted = dict(f.split('=', 1) for f in filters.get('label', []))
        return [c for c in self.listed
                if {k: c['Labels'].get(k) for k in wanted} == wanted]

    def stats(self, cid, stream, one_shot):
        self.calls.append(('stats', cid))
        assert stream is False and one_shot is True
        if cid not in self.samples:
            raise docker_errors.NotFound('gone')
        return self.samples[cid]

    def inspect_container(self, cid):
        self.calls.append(('inspect', cid))
        if cid not in self.samples:
            raise docker_errors.NotFound('gone')
        return {'Id': cid, 'HostConfig': self.host_configs.get(cid, {})}

    def add(self, cid, uuid, state='running', host='compute1', stats=None):
        self.listed.append({'Id': cid, 'State': state, 'Labels': {
            labels.LABEL_UUID: uuid, labels.LABEL_HOST: host}})
        self.samples[cid] = stats or {}

    def add_heat(self, cid, marks, state='running', stats=None,
                 host_config=None, name=None):
        """A container of the Heat plugin (its owner label and ``marks``)."""
        self.listed.append({
            'Id': cid, 'State': state, 'Image': 'dos/httpd',
            'Names': ['/' + (name or 'c-' + cid)],
            'Labels': dict(marks, **{heat_labels.LABEL_OWNER: 'true'})})
        self.samples[cid] = stats or {}
        self.host_configs[cid] = host_config or {}

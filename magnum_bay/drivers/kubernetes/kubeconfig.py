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

"""kubeconfig files, the kind kubectl and the kubernetes client load."""

import base64

import yaml


def _b64(text):
    return base64.b64encode(text.encode()).decode()


def render(cluster_name, server, ca_cert_pem, user, client_pair):
    """A kubeconfig with the certificates embedded (no files to carry)."""
    doc = {
        'apiVersion': 'v1',
        'kind': 'Config',
        'clusters': [{'name': cluster_name, 'cluster': {
            'server': server,
            'certificate-authority-data': _b64(ca_cert_pem)}}],
        'users': [{'name': user, 'user': {
            'client-certificate-data': _b64(client_pair.cert_pem),
            'client-key-data': _b64(client_pair.key_pem)}}],
        'contexts': [{'name': '%s@%s' % (user, cluster_name), 'context': {
            'cluster': cluster_name, 'user': user}}],
        'current-context': '%s@%s' % (user, cluster_name),
        'preferences': {},
    }
    return yaml.safe_dump(doc, sort_keys=False)

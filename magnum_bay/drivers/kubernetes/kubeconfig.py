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

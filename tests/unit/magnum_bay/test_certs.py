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

"""The bay CA, leaf certificates, credentials in the DB and CA rotation."""

import ssl

import pytest
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID

from magnum_bay import certs
from magnum_bay import credentials
from magnum_bay.db import api as db_api


def test_ca_signs_server_and_client_certificates():
    ca = certs.make_ca('bay test CA')
    assert ca.cert.extensions.get_extension_for_class(
        x509.BasicConstraints).value.ca
    server = certs.issue(ca, 'node-0', server=True,
                         names=['node-0', '10.0.0.5'])
    client = certs.issue(ca, 'admin', client=True,
                         organization='system:masters')
    assert certs.verify(ca.cert_pem, server.cert_pem)
    assert certs.verify(ca.cert_pem, client.cert_pem)
    other = certs.make_ca('another CA')
    assert not certs.verify(other.cert_pem, server.cert_pem)
    sans = server.cert.extensions.get_extension_for_class(
        x509.SubjectAlternativeName).value
    assert 'node-0' in sans.get_values_for_type(x509.DNSName)
    assert [str(a) for a in sans.get_values_for_type(x509.IPAddress)] == [
        '10.0.0.5']
    usages = client.cert.extensions.get_extension_for_class(
        x509.ExtendedKeyUsage).value
    assert list(usages) == [ExtendedKeyUsageOID.CLIENT_AUTH]
    assert 'O=system:masters' in client.cert.subject.rfc4514_string()


def test_python_ssl_accepts_the_chain(tmp_path):
    ca = certs.make_ca('bay CA')
    server = certs.issue(ca, 'localhost', server=True, names=['127.0.0.1'])
    (tmp_path / 'ca.pem').write_text(ca.cert_pem)
    (tmp_path / 's.pem').write_text(server.cert_pem + server.key_pem)
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH,
                                     cafile=str(tmp_path / 'ca.pem'))
    srv = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    srv.load_cert_chain(str(tmp_path / 's.pem'))
    assert ctx.verify_mode == ssl.CERT_REQUIRED


def test_issue_needs_a_purpose():
    with pytest.raises(ValueError):
        certs.issue(certs.make_ca('x'), 'nobody')


def test_keys_never_show_in_repr_or_str():
    pair = certs.make_ca('secret CA')
    for text in (repr(pair), str(pair), '%s' % pair, '%r' % [pair]):
        assert 'PRIVATE KEY' not in text and pair.key_pem not in text
        assert 'secret CA' in text


def test_encrypted_key_is_read_with_its_passphrase():
    from cryptography.hazmat.primitives import serialization
    ca = certs.make_ca('enc')
    encrypted = ca.key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b'pw')).decode()
    pair = certs.KeyPair(ca.cert_pem, encrypted, passphrase='pw')
    leaf = certs.issue(pair, 'x', client=True)
    assert certs.verify(ca.cert_pem, leaf.cert_pem)
    assert 'ENCRYPTED' not in pair.plain_key_pem


def test_credentials_rotation():
    db = db_api.Connection('sqlite://')
    tmpl = db.create_template(dict(name='t', coe='swarm-mode', image_id='i'))
    cluster = db.create_cluster(dict(name='c', cluster_template_id=tmpl[
        'uuid'], coe='swarm-mode', status='CREATE_COMPLETE'), [])
    creds = credentials.BayCredentials(db, cluster)
    old_ca = creds.ensure_ca()
    assert creds.ensure_ca().cert_pem == old_ca.cert_pem
    old_client = creds.client()
    assert creds.client().cert_pem == old_client.cert_pem
    assert creds.client(renew=True).cert_pem != old_client.cert_pem
    new_ca = creds.rotate()
    assert new_ca.cert_pem != old_ca.cert_pem
    kinds = set(db.get_certificates(cluster['uuid']))
    assert kinds == {'ca', 'ca-previous'}
    assert certs.verify(new_ca.cert_pem, creds.client().cert_pem)
    assert not certs.verify(old_ca.cert_pem, creds.client().cert_pem)
    creds.finish_rotation()
    assert 'ca-previous' not in db.get_certificates(cluster['uuid'])
    db.destroy_cluster(cluster['uuid'])
    assert db.count_certificates() == 0

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

"""A bay's own certificate authority and the certificates it signs.

Keys are ECDSA P-256: as strong as RSA-3072 for TLS and made in about a
millisecond, which matters when every node of every bay gets its own.
A ``KeyPair`` never shows its private key in ``repr`` or ``str``, so a stray
log line cannot leak it.
"""

import datetime
import ipaddress

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID
from cryptography.x509.oid import NameOID

CA_DAYS = 3650
LEAF_DAYS = 825


class KeyPair:
    """A PEM certificate and its PEM private key."""

    __slots__ = ('cert_pem', 'key_pem', 'passphrase')

    def __init__(self, cert_pem, key_pem, passphrase=None):
        self.cert_pem = cert_pem
        self.key_pem = key_pem
        # Magnum keeps its cluster CA key encrypted with a passphrase.
        self.passphrase = passphrase

    def __repr__(self):
        return '<KeyPair %s key=***>' % subject_of(self.cert_pem)

    __str__ = __repr__

    @property
    def cert(self):
        return x509.load_pem_x509_certificate(self.cert_pem.encode())

    @property
    def key(self):
        password = self.passphrase
        if isinstance(password, str):
            password = password.encode()
        return serialization.load_pem_private_key(self.key_pem.encode(),
                                                  password=password or None)

    @property
    def plain_key_pem(self):
        """The private key unencrypted (for files a service reads)."""
        return _pem_key(self.key)


def subject_of(cert_pem):
    cert = x509.load_pem_x509_certificate(cert_pem.encode())
    return cert.subject.rfc4514_string()


def _now():
    return datetime.datetime.now(datetime.timezone.utc)


def _new_key():
    return ec.generate_private_key(ec.SECP256R1())


def _pem_key(key):
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()).decode()


def _pem_cert(cert):
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _name(common_name, organization=None):
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME,
                                        organization))
    return x509.Name(attrs)


def make_ca(common_name, days=CA_DAYS):
    """A self-signed CA that may sign leaf certificates only."""
    key = _new_key()
    name = _name(common_name)
    now = _now()
    cert = (x509.CertificateBuilder()
            .subject_name(name).issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=days))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0),
                           critical=True)
            .add_extension(x509.KeyUsage(
                digital_signature=True, key_cert_sign=True, crl_sign=True,
                content_commitment=False, key_encipherment=False,
                data_encipherment=False, key_agreement=False,
                encipher_only=False, decipher_only=False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(
                key.public_key()), critical=False)
            .sign(key, hashes.SHA256()))
    return KeyPair(_pem_cert(cert), _pem_key(key))


def _san(names):
    entries = []
    for item in names or ():
        try:
            entries.append(x509.IPAddress(ipaddress.ip_address(item)))
        except ValueError:
            entries.append(x509.DNSName(item))
    return entries


def issue(ca, common_name, server=False, client=False, names=(),
          organization=None, days=LEAF_DAYS):
    """A leaf certificate signed by ``ca`` (a KeyPair)."""
    if not (server or client):
        raise ValueError('a certificate must be for a server or a client')
    key = _new_key()
    usages = []
    if server:
        usages.append(ExtendedKeyUsageOID.SERVER_AUTH)
    if client:
        usages.append(ExtendedKeyUsageOID.CLIENT_AUTH)
    ca_cert = ca.cert
    now = _now()
    builder = (x509.CertificateBuilder()
               .subject_name(_name(common_name, organization))
               .issuer_name(ca_cert.subject)
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=days))
               .add_extension(x509.BasicConstraints(ca=False,
                                                    path_length=None),
                              critical=True)
               .add_extension(x509.KeyUsage(
                   digital_signature=True, key_encipherment=True,
                   key_cert_sign=False, crl_sign=False,
                   content_commitment=False, data_encipherment=False,
                   key_agreement=False, encipher_only=False,
                   decipher_only=False), critical=True)
               .add_extension(x509.ExtendedKeyUsage(usages), critical=False)
               .add_extension(x509.AuthorityKeyIdentifier
                              .from_issuer_public_key(ca_cert.public_key()),
                              critical=False))
    sans = _san(names)
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans),
                                        critical=False)
    cert = builder.sign(ca.key, hashes.SHA256())
    return KeyPair(_pem_cert(cert), _pem_key(key))


def public_key_pem(pair):
    return pair.key.public_key().public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def new_key_pem():
    """A bare private key (PEM), e.g. a service-account signing key."""
    return _pem_key(_new_key())


def spki_sha256(cert_pem):
    """kubeadm's discovery hash: sha256 of the CA's SubjectPublicKeyInfo."""
    import hashlib
    cert = x509.load_pem_x509_certificate(cert_pem.encode())
    der = cert.public_key().public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo)
    return 'sha256:' + hashlib.sha256(der).hexdigest()


def verify(ca_cert_pem, cert_pem):
    """True when ``cert_pem`` was signed by the CA in ``ca_cert_pem``."""
    ca_cert = x509.load_pem_x509_certificate(ca_cert_pem.encode())
    cert = x509.load_pem_x509_certificate(cert_pem.encode())
    if cert.issuer != ca_cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(ca_cert)
    except (ValueError, TypeError, Exception):
        return False
    return True

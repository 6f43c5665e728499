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

"""A second, private Docker engine that listens on tcp+TLS, for the tests.

It is a real dockerd of its own (data root, exec root, bridge ``dosheat2``)
under ``$DOS_STATE/heat2``, reachable both on a unix socket (for the tests'
own checks) and on ``tcp://127.0.0.1:<port>`` with mutual TLS (for the
plugin). Certificates are made fresh for each session with
``cryptography``: a CA, a server certificate for 127.0.0.1 and a client one.
"""

import datetime
import os
import subprocess
import time

import docker
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.rig import docker_engine
from tests.rig import ports

BRIDGE = os.environ.get('DOS_HEAT2_BRIDGE', 'dosheat2')
# 172.31.246.0/24 is the all-in-one demo's second engine (tools/aio).
BRIDGE_CIDR = os.environ.get('DOS_HEAT2_CIDR', '172.31.244.1/24')


def _state_dir():
    return os.path.join(docker_engine.STATE, 'heat2')


def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _write(path, data, mode=0o600):
    with open(path, 'wb') as f:
        f.write(data)
    os.chmod(path, mode)


def _cert(subject, key, issuer, issuer_key, ca=False, san=None,
          client=False):
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(
                   NameOID.COMMON_NAME, subject)]))
               .issuer_name(x509.Name([x509.NameAttribute(
                   NameOID.COMMON_NAME, issuer)]))
               .public_key(key.public_key())
               .serial_number(x509.random_serial_number())
               .not_valid_before(now - datetime.timedelta(minutes=5))
               .not_valid_after(now + datetime.timedelta(days=2))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None),
                              critical=True))
    # Key identifiers and usages: urllib3 2 verifies in X509 strict mode.
    builder = builder.add_extension(
        x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
        critical=False).add_extension(
        x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer_key.public_key()), critical=False).add_extension(
        x509.KeyUsage(digital_signature=not ca, content_commitment=False,
                      key_encipherment=False, data_encipherment=False,
                      key_agreement=not ca, key_cert_sign=ca, crl_sign=ca,
                      encipher_only=False, decipher_only=False),
        critical=True)
    if san:
        import ipaddress
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.IPAddress(ipaddress.ip_address(san)),
             x509.DNSName('localhost')]), critical=False)
    if not ca:
        usage = (x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH if client
                 else x509.oid.ExtendedKeyUsageOID.SERVER_AUTH)
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]),
                                        critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def make_pki(directory):
    """CA, server and client files; returns a dict of their paths."""
    os.makedirs(directory, exist_ok=True)
    ca_key = _key()
    ca = _cert('dos-heat2-ca', ca_key, 'dos-heat2-ca', ca_key, ca=True)
    srv_key = _key()
    srv = _cert('127.0.0.1', srv_key, 'dos-heat2-ca', ca_key,
                san='127.0.0.1')
    cli_key = _key()
    cli = _cert('heat-engine', cli_key, 'dos-heat2-ca', ca_key, client=True)
    pem = serialization.Encoding.PEM
    paths = {name: os.path.join(directory, name) for name in (
        'ca.pem', 'server-cert.pem', 'server-key.pem', 'cert.pem',
        'key.pem')}
    for name, obj in (('ca.pem', ca), ('server-cert.pem', srv),
                      ('cert.pem', cli)):
        _write(paths[name], obj.public_bytes(pem), 0o644)
    for name, key in (('server-key.pem', srv_key), ('key.pem', cli_key)):
        _write(paths[name], key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
    return paths


class SecondEngine(object):

    def __init__(self):
        self.dir = _state_dir()
        self.sock = os.path.join(self.dir, 'docker.sock')
        self.port = None
        self.proc = None
        self.pki = None
        self.made_bridge = False

    @property
    def tcp_url(self):
        return 'tcp://127.0.0.1:%d' % self.port

    @property
    def unix_url(self):
        return 'unix://%s' % self.sock

    def start(self):
        os.makedirs(self.dir, exist_ok=True)
        self.pki = make_pki(os.path.join(self.dir, 'pki'))
        self.port = ports.free_port()
        if subprocess.call(['ip', 'link', 'show', BRIDGE],
                           stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL):
            subprocess.check_call(['ip', 'link', 'add', BRIDGE, 'type',
                                   'bridge'])
            subprocess.check_call(['ip', 'addr', 'add', BRIDGE_CIDR, 'dev',
                                   BRIDGE])
            subprocess.check_call(['ip', 'link', 'set', BRIDGE, 'up'])
            self.made_bridge = True
        for stale in (self.sock, os.path.join(self.dir, 'docker.pid')):
            if os.path.exists(stale):
                os.unlink(stale)
        log = open(os.path.join(self.dir, 'docker.log'), 'ab')
        self.proc = subprocess.Popen(
            ['dockerd', '--host', self.unix_url, '--host', self.tcp_url,
             '--tlsverify', '--tlscacert', self.pki['ca.pem'],
             '--tlscert', self.pki['server-cert.pem'],
             '--tlskey', self.pki['server-key.pem'],
             '--data-root', os.path.join(self.dir, 'docker'),
             '--exec-root', os.path.join(self.dir, 'exec'),
             '--pidfile', os.path.join(self.dir, 'docker.pid'),
             '--bridge', BRIDGE,
             '--containerd-namespace', 'dos-heat2',
             '--containerd-plugins-namespace', 'dos-heat2-plugins'],
            stdout=log, stderr=log, stdin=subprocess.DEVNULL,
            start_new_session=True)
        log.close()
        deadline = time.monotonic() + 60
        while True:
            try:
                self.client().ping()
                break
            except Exception:
                if self.proc.poll() is not None or \
                        time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError('second docker engine did not start; '
                                       'see %s/docker.log' % self.dir)
                time.sleep(0.2)
        docker_engine.ensure_images(self.client())
        return self

    def client(self):
        return docker.DockerClient(base_url=self.unix_url, timeout=120)

    def stop(self):
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        if self.made_bridge:
            # Leave no address range taken behind for other engines.
            subprocess.call(['ip', 'link', 'del', BRIDGE],
                            stderr=subprocess.DEVNULL)
            self.made_bridge = False

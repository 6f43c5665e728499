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

"""A bay's credentials kept in the bay database: CA, client cert, rotation.

The CA key stays in the database; nodes receive only their own server key
and the CA certificate. ``rotate`` replaces the CA and keeps the old one as
``ca-previous`` until the caller has re-keyed every node, then ``finish``
drops it.
"""

from magnum_bay import certs

CA = 'ca'
CA_PREVIOUS = 'ca-previous'
CLIENT = 'client'
ADMIN = 'admin'


class BayCredentials:
    def __init__(self, db, cluster):
        self.db = db
        self.cluster = cluster

    @property
    def _uuid(self):
        return self.cluster['uuid']

    def _get(self, kind):
        row = self.db.get_certificates(self._uuid).get(kind)
        if row is None:
            return None
        return certs.KeyPair(row['cert_pem'], row['key_pem'])

    def ensure_ca(self):
        ca = self._get(CA)
        if ca is None:
            ca = certs.make_ca('bay %s CA' % self.cluster['name'])
            self.db.put_certificate(self._uuid, CA, ca.cert_pem, ca.key_pem)
        return ca

    def ca(self):
        return self._get(CA)

    def admin(self):
        """The certificate the bay service itself uses to reach the nodes."""
        pair = self._get(ADMIN)
        if pair is None:
            pair = certs.issue(self.ensure_ca(), 'bay-service', client=True,
                               organization='system:masters')
            self.db.put_certificate(self._uuid, ADMIN, pair.cert_pem,
                                    pair.key_pem)
        return pair

    def client(self, renew=False):
        """The user's client certificate (what ``cluster config`` hands out)."""
        pair = None if renew else self._get(CLIENT)
        if pair is None:
            pair = certs.issue(self.ensure_ca(), 'admin', client=True,
                               organization='system:masters')
            self.db.put_certificate(self._uuid, CLIENT, pair.cert_pem,
                                    pair.key_pem)
        return pair

    def server(self, node_name, addresses):
        """A fresh server certificate for one node; never stored."""
        return certs.issue(self.ensure_ca(), node_name, server=True,
                           client=True, names=[node_name, 'localhost',
                                               '127.0.0.1', *addresses])

    def rotate(self):
        """Make a new CA; the old one stays as ca-previous until finish()."""
        old = self.ensure_ca()
        self.db.put_certificate(self._uuid, CA_PREVIOUS, old.cert_pem,
                                old.key_pem)
        new = certs.make_ca('bay %s CA' % self.cluster['name'])
        self.db.put_certificate(self._uuid, CA, new.cert_pem, new.key_pem)
        self.db.delete_certificate(self._uuid, ADMIN)
        self.db.delete_certificate(self._uuid, CLIENT)
        return new

    def finish_rotation(self):
        self.db.delete_certificate(self._uuid, CA_PREVIOUS)

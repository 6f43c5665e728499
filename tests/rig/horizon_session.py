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

"""A person's dashboard session over plain HTTP (requests), for the
benchmark and the tests that read pages without a browser.

Logging in is what the browser does: GET the login page (Django's CSRF
cookie and the form's hidden fields, the region among them), POST the
form with the user's name and password, follow the redirect. Only the
dashboard's own loopback address is ever asked.
"""

import html.parser
from urllib import parse

import requests

#: Seconds one request may take (a page of 50 instances on a busy 2-core
#: machine included).
TIMEOUT = 120


class LoginError(Exception):
    pass


class _FormFields(html.parser.HTMLParser):
    """The fields (name -> value) of the page's form whose action contains
    ``action``: its inputs, and its selects' selected options."""

    def __init__(self, action):
        super().__init__()
        self.action = action
        self.inside = False
        self.select = None
        self.fields = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == 'form':
            self.inside = self.action in (attrs.get('action') or '')
        elif not self.inside:
            return
        elif tag == 'input' and attrs.get('name'):
            self.fields[attrs['name']] = attrs.get('value') or ''
        elif tag == 'select':
            self.select = attrs.get('name')
        elif tag == 'option' and self.select and 'selected' in attrs:
            self.fields[self.select] = attrs.get('value') or ''

    def handle_endtag(self, tag):
        if tag == 'form':
            self.inside = False
        elif tag == 'select':
            self.select = None


def form_fields(page, action):
    parser = _FormFields(action)
    parser.feed(page)
    return parser.fields


class Session:
    """A ``requests`` session logged in to the dashboard at ``url``."""

    def __init__(self, url, user, password):
        self.url = url.rstrip('/') + '/'
        self.http = requests.Session()
        # Loopback only: never through a proxy from the environment.
        self.http.trust_env = False
        self.login(user, password)

    def _full(self, path):
        return parse.urljoin(self.url, path.lstrip('/'))

    def login(self, user, password):
        login = self._full('/auth/login/')
        page = self.http.get(login, timeout=TIMEOUT)
        page.raise_for_status()
        fields = form_fields(page.text, '/auth/login/')
        if 'csrfmiddlewaretoken' not in fields:
            raise LoginError('no login form at %s' % login)
        fields.update(username=user, password=password)
        resp = self.http.post(login, data=fields, timeout=TIMEOUT,
                              headers={'Referer': login})
        resp.raise_for_status()
        if '/auth/login' in resp.url:
            raise LoginError('the dashboard refused %s\'s login' % user)

    def post_form(self, path, action=None, **values):
        """Submit the form of the page at ``path`` (the one whose action
        contains ``action``, by default ``path``) as the page fills it,
        with ``values`` changed; the response."""
        page = self.get(path)
        page.raise_for_status()
        fields = form_fields(page.text, action or path)
        missing = set(values) - set(fields)
        if missing:
            raise LoginError('no field %s in the form of %s' % (
                ', '.join(sorted(missing)), path))
        fields.update(values)
        resp = self.http.post(self._full(path), data=fields,
                              timeout=TIMEOUT,
                              headers={'Referer': self._full(path)})
        resp.raise_for_status()
        return resp

    def get(self, path, **kw):
        """GET ``path``; the response, redirects followed."""
        return self.http.get(self._full(path), timeout=TIMEOUT, **kw)

    def close(self):
        self.http.close()

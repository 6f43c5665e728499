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

"""The dashboard's WSGI application: Horizon, and its static files.

With DEBUG off Django serves no static files; a web server in front
usually does. Here the same process serves ``STATIC_URL`` from
``STATIC_ROOT`` (collected and compressed ahead by tools/aio/horizon.py),
files only, never outside that folder; everything else goes to Horizon's
own WSGI application (``openstack_dashboard.wsgi``, which selects
``openstack_dashboard.settings``; tools/aio/horizon.py's settings folder is
first on PYTHONPATH).
"""

import mimetypes
import os

from django.conf import settings
from openstack_dashboard import wsgi as horizon_wsgi

from tools.aio.horizon import static_file

_CHUNK = 256 * 1024
#: Compressed files carry their digest in the name: cache them long.
_MAX_AGE = 365 * 24 * 3600


def _send_file(full, environ, start_response):
    kind, encoding = mimetypes.guess_type(full)
    headers = [('Content-Type', kind or 'application/octet-stream'),
               ('Content-Length', str(os.path.getsize(full))),
               ('Cache-Control', 'public, max-age=%d' % _MAX_AGE)]
    if encoding:
        headers.append(('Content-Encoding', encoding))
    start_response('200 OK', headers)
    if environ['REQUEST_METHOD'] == 'HEAD':
        return [b'']
    f = open(full, 'rb')
    wrapper = environ.get('wsgi.file_wrapper')
    if wrapper:
        return wrapper(f, _CHUNK)
    return iter(lambda: f.read(_CHUNK), b'')


def make_app(app, root, prefix):
    def application(environ, start_response):
        if environ['REQUEST_METHOD'] in ('GET', 'HEAD'):
            full = static_file(root, prefix, environ.get('PATH_INFO', ''))
            if full:
                return _send_file(full, environ, start_response)
            if environ.get('PATH_INFO', '').startswith(prefix):
                start_response('404 Not Found',
                               [('Content-Type', 'text/plain')])
                return [b'not found\n']
        return app(environ, start_response)
    return application


application = make_app(horizon_wsgi.application, settings.STATIC_ROOT,
                       settings.STATIC_URL)

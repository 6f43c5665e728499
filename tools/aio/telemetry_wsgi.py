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

"""The telemetry WSGI applications, with the configuration file given to
them: ``tools.aio.telemetry_wsgi:aetos`` and ``...:aodh``.

Aetos's and Aodh's own WSGI modules build their applications with no
arguments, so they read only the default config locations (/etc/aetos,
/etc/aodh). Here the application named by tools/aio/serve.py's ``--app``
is built the same way, on first use, with the arguments serve.py passes
after ``--`` (``--config-file <cloud>/etc/<service>/<service>.conf``).
"""

import sys


def _aetos():
    from aetos import app
    return app.build_wsgi_app(argv=sys.argv[1:])


def _aodh():
    from aodh.api import app
    return app.build_wsgi_app(argv=sys.argv[1:])


_BUILDERS = {'aetos': _aetos, 'aodh': _aodh}


def __getattr__(name):
    if name not in _BUILDERS:
        raise AttributeError(name)
    application = _BUILDERS[name]()
    globals()[name] = application
    return application

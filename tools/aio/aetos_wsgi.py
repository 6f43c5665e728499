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

"""Aetos's WSGI application with the configuration file given to it.

Aetos's own ``aetos.wsgi.api`` builds the application with no arguments,
so it reads only the default config locations (/etc/aetos). This module
builds it the same way with the arguments tools/aio/serve.py passes after
``--`` (``--config-file <cloud>/etc/aetos/aetos.conf``).
"""

import sys

from aetos import app

application = app.build_wsgi_app(argv=sys.argv[1:])

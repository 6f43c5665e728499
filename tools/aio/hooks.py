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

"""What an all-in-one service process installs before its code runs.

``run.py`` (console scripts) and ``serve.py`` (WSGI applications, in the
gunicorn worker) both call ``install``, so a service gets the same set-up
however it is started: Nova's NeutronFixture when asked (``neutron``; the
all-in-one has no Neutron yet). Nothing else: the services run unpatched on
MariaDB.
"""


def install(neutron_fixture=False):
    if neutron_fixture:
        from tools.aio import neutron
        neutron.install()

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

"""Run an OpenStack service's console script with the all-in-one's hooks.

    python -m tools.aio.run [--neutron-fixture] <console script> [args ...]

The entry point is looked up in the ``console_scripts`` group, exactly the
function the installed script calls. Before it runs, the all-in-one's
hooks are installed (``hooks``: for Nova services, Nova's
NeutronFixture).
"""

import sys
from importlib import metadata

from tools.aio import hooks


def main():
    args = sys.argv[1:]
    fixture = args[:1] == ['--neutron-fixture']
    if fixture:
        args = args[1:]
    name = args[0]
    (entry,) = [e for e in metadata.entry_points(group='console_scripts')
                if e.name == name]
    sys.argv = [name] + args[1:]
    hooks.install(neutron_fixture=fixture)
    sys.exit(entry.load()())


if __name__ == '__main__':
    main()

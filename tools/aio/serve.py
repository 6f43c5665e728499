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

"""Serve one OpenStack WSGI application with gunicorn on 127.0.0.1.

    python -m tools.aio.serve --port P --app module:attr [--workers N]
        [--threads N] [-- oslo args]

gunicorn's own command line would end up in ``sys.argv``, which some
services' WSGI modules hand to oslo.config (heat-api does); this launcher
gives them a clean ``sys.argv`` (the program name and the oslo arguments
after ``--``) before it imports the application, in the worker. Nothing
else happens before the application loads: the services run unpatched.
gunicorn is used (not wsgiref) because Glance needs chunked request bodies.
"""

import argparse
import importlib
import sys

from gunicorn.app import base

#: Seconds an idle kept-alive connection stays open. gunicorn's default (2 s)
#: equals openstacksdk's poll interval (``wait_for_delete``,
#: ``wait_for_server``: 2 s), so a poll met the server closing that very
#: connection ("Connection reset by peer", "Remote end closed connection
#: without response"); clients reuse a connection closed while they were
#: idle for longer without trouble.
KEEPALIVE = 75

#: Longest request line accepted (gunicorn's own default is 4094, its
#: maximum 8190). Nova lists the ports of up to 150 servers in one Neutron
#: GET (``device_id=`` each, about 7 KB) and relies on servers taking
#: 8 KB lines: with the default, ``GET /servers/detail`` of a project with
#: more than about 80 servers failed with a 500 ("URI Too Long").
REQUEST_LINE = 8190


class Server(base.BaseApplication):
    def __init__(self, app_path, prog, oslo_args, options):
        self.app_path = app_path
        self.prog_name = prog
        self.oslo_args = oslo_args
        self.options = options
        super().__init__()

    def load_config(self):
        for key, value in self.options.items():
            if key in self.cfg.settings:
                self.cfg.set(key, value)

    def load(self):
        sys.argv = [self.prog_name] + self.oslo_args
        module, attr = self.app_path.split(':')
        return getattr(importlib.import_module(module), attr)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    oslo_args = []
    if '--' in argv:
        cut = argv.index('--')
        argv, oslo_args = argv[:cut], argv[cut + 1:]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--app', required=True)
    parser.add_argument('--port', type=int, required=True)
    parser.add_argument('--name', default='openstack-api')
    parser.add_argument('--threads', type=int, default=8)
    parser.add_argument('--workers', type=int, default=1)
    args = parser.parse_args(argv)
    Server(args.app, args.name, oslo_args, {
        'bind': '127.0.0.1:%d' % args.port,
        'workers': args.workers,
        'worker_class': 'gthread',
        'threads': args.threads,
        # Image uploads and boots can hold a request for a while.
        'timeout': 300,
        'graceful_timeout': 5,
        'keepalive': KEEPALIVE,
        'limit_request_line': REQUEST_LINE,
        'proc_name': args.name,
        'accesslog': '-',
        'errorlog': '-',
        # gunicorn 25.1+ opens a control socket at one path per user
        # ($HOME/.gunicorn/gunicorn.ctl): every API of every cloud on the
        # machine would take it from the one before.
        'control_socket_disable': True,
    }).run()


if __name__ == '__main__':
    main()

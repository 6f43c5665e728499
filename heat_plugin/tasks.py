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

"""Engine API work in flight, so a resource's check_*_complete can poll it.

``handle_*`` submits the slow part (create + start, stop, remove) to the
shared pool under a key and returns the key; ``check_*_complete`` asks
``done(key)``. Futures live in this module, not on the resource object,
because Heat may load a resource again between the two calls, and because
plugin_dirs loading can give the resource module two copies.
"""

import threading

from heat_plugin import docker_client

_futures = {}
_lock = threading.Lock()


def submit(key, fn, *args, **kwargs):
    future = docker_client.executor().submit(fn, *args, **kwargs)
    with _lock:
        _futures[key] = future
    return key


def pending(key):
    with _lock:
        return _futures.get(key)


def done(key):
    """(True, result) once finished (raising its error), else (False, None).

    A key nobody submitted in this process (e.g. after an engine restart)
    counts as finished with no result.
    """
    with _lock:
        future = _futures.get(key)
    if future is None:
        return True, None
    if not future.done():
        return False, None
    with _lock:
        _futures.pop(key, None)
    return True, future.result()


def wait(key, timeout=None):
    """Block until the work under ``key`` ends; swallow its error."""
    future = pending(key)
    if future is not None:
        try:
            future.result(timeout=timeout)
        except Exception:  # noqa: S110 - the owner reports it
            pass

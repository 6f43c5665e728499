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

"""Keep a share plan file loaded: reload on change, keep the last good plan.

A scheduler must never go down because an operator saved a broken plan. On
a failed reload the previous plan stays in force and the error is logged at
ERROR on every check until the file is fixed (loudly, on purpose). Only when
no plan was ever loaded does ``get`` raise SharePlanUnavailable, naming the
option that points at the file (``option``) and the path.

The Nova filters and weighers, the Heat plugin's placement and the reclaim
service all load their plan through ``store_for``.
"""

import logging
import os
import threading
import time

from scheduler_filters import exception
from scheduler_filters.core import plan as plan_mod

LOG = logging.getLogger(__name__)


class PlanStore:
    """One share plan file, checked at most once per ``check_interval``.

    :param path: the plan file.
    :param check_interval: seconds between checks of the file.
    :param option: the option that names the file (e.g. "[docker_hosts]
        share_plan_file"), for the errors.
    """

    def __init__(self, path, check_interval=5.0, clock=time.monotonic,
                 option=None):
        self.path = path
        self.option = option
        self.check_interval = check_interval
        self._clock = clock
        self._lock = threading.Lock()
        self._config = None
        self._stamp = None
        self._checked = None
        self.last_error = None

    def get(self):
        """The plan in force; reloads at most once per ``check_interval``."""
        now = self._clock()
        if (self._checked is None or self._config is None
                or now - self._checked >= self.check_interval):
            with self._lock:
                self._checked = now
                self._refresh()
        if self._config is None:
            raise exception.SharePlanUnavailable(
                source=self.where(), reason=self.last_error or 'not loaded')
        return self._config

    def where(self):
        """The file, with the option that names it when known."""
        if self.option:
            return '%s (%s)' % (self.path, self.option)
        return self.path

    def _refresh(self):
        try:
            st = os.stat(self.path)
            stamp = (st.st_mtime_ns, st.st_size, st.st_ino)
        except OSError as e:
            self._fail('cannot stat: %s' % e)
            return
        if stamp == self._stamp and self.last_error is None:
            return
        if stamp == self._stamp:
            # Same broken file: say so again so nobody misses it.
            self._fail(self.last_error)
            return
        self._stamp = stamp
        try:
            config = plan_mod.load_file(self.path)
        except exception.InvalidSharePlan as e:
            self._fail(str(e))
            return
        if self._config is not None:
            LOG.info('share plan %s reloaded', self.path)
        self._config = config
        self.last_error = None

    def _fail(self, reason):
        self.last_error = reason
        if self._config is not None:
            LOG.error('SHARE PLAN NOT RELOADED, keeping the last good plan '
                      'from %s: %s', self.where(), reason)
        else:
            LOG.error('SHARE PLAN UNAVAILABLE (%s): %s', self.where(), reason)


_stores = {}
_stores_lock = threading.Lock()


def store_for(path, check_interval=5.0, option=None):
    """One PlanStore per path per process (filters and weighers share it).

    ``option`` names the option that points at ``path``, for the errors.
    """
    with _stores_lock:
        store = _stores.get(path)
        if store is None or store.check_interval != check_interval:
            store = _stores[path] = PlanStore(path, check_interval,
                                              option=option)
        elif option and store.option is None:
            store.option = option
        return store


def forget():
    """Drop every store (tests that reconfigure between cases)."""
    with _stores_lock:
        _stores.clear()

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

"""Audit log of the reclaim service: one JSON object per line.

Every decision (demand seen, grace started, instance marked, instance
reclaimed or, in dry-run, would be) is written with a UTC timestamp, so
an operator can reconstruct why a tenant's instance was shelved.
"""

import datetime
import json
import logging
import threading

LOG = logging.getLogger(__name__)


class AuditLog:
    def __init__(self, path=None):
        self.path = path
        self.records = []  # kept in memory too (bounded) for callers/tests
        self._lock = threading.Lock()

    def write(self, event, **fields):
        record = {'time': datetime.datetime.now(datetime.timezone.utc)
                  .isoformat(), 'event': event}
        record.update(fields)
        line = json.dumps(record, sort_keys=True, default=str)
        LOG.info('audit: %s', line)
        with self._lock:
            self.records.append(record)
            del self.records[:-10000]
            if self.path:
                with open(self.path, 'a') as f:
                    f.write(line + '\n')
        return record

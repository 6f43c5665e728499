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

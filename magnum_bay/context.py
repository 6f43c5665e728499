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

"""What a driver needs while it works on one bay, besides the bay itself."""

import time

from magnum_bay import credentials


class BayContext:
    """The database, the host engine, progress reporting and a deadline."""

    def __init__(self, db, conf, host, progress=None, deadline=None):
        self.db = db
        self.conf = conf
        self.host = host
        self._progress = progress
        self.deadline = deadline

    def progress(self, message):
        if self._progress:
            self._progress(message)

    def credentials(self, cluster):
        return credentials.BayCredentials(self.db, cluster)

    def template(self, cluster):
        return self.db.get_template(cluster['cluster_template_id'])

    def nodegroups(self, cluster):
        return self.db.list_nodegroups(cluster['uuid'])

    def remaining(self, default=600):
        if self.deadline is None:
            return default
        return max(0.0, self.deadline - time.monotonic())

    def until(self, seconds):
        """A monotonic deadline, never later than the operation's own."""
        end = time.monotonic() + seconds
        return end if self.deadline is None else min(end, self.deadline)

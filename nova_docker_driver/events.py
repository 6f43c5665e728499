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

"""Container lifecycle events from the engine, as Nova lifecycle events.

A thread follows the engine's event stream for containers labelled for this
host and hands Nova a LifecycleEvent per stop, start, pause and unpause, so
a container killed or exited outside Nova is synced at once. Nova checks the
driver's power state before it acts, and skips instances with a task in
progress, so the driver's own stops and starts do nothing there. When the
engine goes away the watcher waits and reconnects, asking for the events it
missed (bounded: one reconnect every few seconds, until the driver stops).
An engine that restarted has forgotten them, and Nova drops an event it
cannot check against the engine (the 'die' of a container the engine's
shut-down stopped comes as the engine goes): so after a reconnect the
watcher also hands Nova each container's state as an event, and Nova syncs
what changed (an instance whose container stopped shows SHUTOFF at once,
not at the next periodic power sync).
"""

import threading
import time

from nova.virt import event as virtevent
from oslo_log import log as logging

from nova_docker_driver import exception

LOG = logging.getLogger(__name__)

TRANSITIONS = {
    'die': virtevent.EVENT_LIFECYCLE_STOPPED,
    'start': virtevent.EVENT_LIFECYCLE_STARTED,
    'pause': virtevent.EVENT_LIFECYCLE_PAUSED,
    'unpause': virtevent.EVENT_LIFECYCLE_RESUMED,
}
# A container's state after a reconnect, as the event that leads to it.
RESYNC = {
    'running': virtevent.EVENT_LIFECYCLE_STARTED,
    'restarting': virtevent.EVENT_LIFECYCLE_STARTED,
    'paused': virtevent.EVENT_LIFECYCLE_PAUSED,
}
RECONNECT_DELAY = 3.0
# An expected event that never came (removing a stopped container makes no
# 'die') is forgotten after this long; a container id is never reused.
EXPECT_TTL = 300.0


class Watcher:

    def __init__(self, backend, labels, uuid_label, emit):
        self._backend = backend
        self._labels = labels
        self._uuid_label = uuid_label
        self._emit = emit
        self._stop = threading.Event()
        self._stream = None
        self._since = int(time.time())
        self._thread = threading.Thread(target=self._run, daemon=True,
                                        name='docker-events')
        self._expected = {}  # (container id, action) -> monotonic time
        self._expected_lock = threading.Lock()

    def expect(self, container_id, action):
        """The driver is about to cause ``action`` on the container: do not
        hand the event on. Only for events that can come from the driver's
        call alone (see the module doc); ``unexpect`` if the call fails."""
        now = time.monotonic()
        with self._expected_lock:
            for key, since in list(self._expected.items()):
                if now - since > EXPECT_TTL:
                    del self._expected[key]
            self._expected[(container_id, action)] = now

    def unexpect(self, container_id, action):
        with self._expected_lock:
            self._expected.pop((container_id, action), None)

    def _was_expected(self, container_id, action):
        with self._expected_lock:
            return self._expected.pop((container_id, action), None) is not None

    def start(self):
        self._thread.start()

    def stop(self):
        self._stop.set()
        stream = self._stream
        if stream is not None:
            stream.close()

    def _run(self):
        lost = False  # the stream ended once: events may be lost
        while not self._stop.is_set():
            try:
                self._stream = self._backend.container_events(
                    self._labels, TRANSITIONS, since=self._since)
                if lost:
                    self._resync()
                    lost = False
                for ev in self._stream:
                    if self._stop.is_set():
                        break
                    self._handle(ev)
            except exception.DockerDriverError as exc:
                LOG.debug('Engine events unavailable: %s', exc)
            lost = True
            self._stop.wait(RECONNECT_DELAY)

    def _resync(self):
        """Each labelled container's state now, as a lifecycle event."""
        states = self._backend.list_containers(self._labels)
        LOG.info('Engine events back: syncing the state of %d containers',
                 len(states))
        for state in states:
            uuid = state.labels.get(self._uuid_label)
            if uuid:
                self._emit(virtevent.LifecycleEvent(uuid, RESYNC.get(
                    state.status, virtevent.EVENT_LIFECYCLE_STOPPED)))

    def _settle(self, container_id, old_status, tries=20):
        for _ in range(tries):
            try:
                state = self._backend.inspect(container_id)
            except exception.DockerDriverError:
                return
            if state is None or state.status != old_status:
                return
            self._stop.wait(0.1)

    def _handle(self, ev):
        if ev.get('time'):
            self._since = ev['time']
        uuid = (ev.get('labels') or {}).get(self._uuid_label)
        transition = TRANSITIONS.get(ev.get('action'))
        if self._was_expected(ev.get('id'), ev.get('action')):
            LOG.debug('Container %s: %s (made by the driver)',
                      (ev.get('id') or '')[:12], ev.get('action'),
                      instance_uuid=uuid)
            return
        if ev.get('action') == 'die' and ev.get('id'):
            # The engine announces a death a moment before its inspect says
            # so; Nova asks the driver before it acts on the event.
            self._settle(ev['id'], 'running')
        if uuid and transition is not None:
            LOG.debug('Container %s: %s', (ev.get('id') or '')[:12],
                      ev.get('action'), instance_uuid=uuid)
            self._emit(virtevent.LifecycleEvent(uuid, transition))

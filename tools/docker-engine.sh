#!/bin/bash
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

# Start or stop the project's private Docker engine.
#
# The engine keeps all of its state under .state/ in the repo root (or under
# $DOS_STATE) so that it never touches a system engine: socket .state/docker.sock, data root
# .state/docker, exec root .state/exec, pid file .state/docker.pid, log
# .state/docker.log.
set -eu

ROOT=$(cd "$(dirname "$0")/.." && pwd)
STATE=${DOS_STATE:-$ROOT/.state}
SOCK=$STATE/docker.sock
PIDFILE=$STATE/docker.pid
LOG=$STATE/docker.log
# The bridge gets its own name so that a system engine's docker0 is left alone.
BRIDGE=${DOCKER_BRIDGE_NAME:-dos0}
BRIDGE_CIDR=${DOCKER_BRIDGE_CIDR:-172.31.250.1/24}

ping_engine() {
    curl -sf --max-time 2 --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1
}

engine_pid() {
    [ -f "$PIDFILE" ] || return 1
    local pid state
    pid=$(cat "$PIDFILE")
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    # A killed engine may linger as a zombie until it is reaped: not alive.
    state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)
    [ -n "$state" ] && [ "$state" != Z ] || return 1
    echo "$pid"
}

containerd_pids() {
    local cpidfile=$STATE/exec/containerd/containerd.pid pid
    pgrep -f "containerd --config $STATE/exec/containerd/containerd.toml" || true
    if [ -f "$cpidfile" ]; then
        pid=$(cat "$cpidfile")
        if [ -n "$pid" ] && grep -qs containerd "/proc/$pid/cmdline"; then
            echo "$pid"
        fi
    fi
}

stop_orphan_containerd() {
    # The engine's own containerd outlives a killed engine for a moment and
    # the next engine would wait on it forever; end it and forget its pid.
    local pids
    pids=$(containerd_pids | sort -u)
    if [ -n "$pids" ]; then
        echo "stopping containerd left by a dead engine: $(echo $pids)"
        # shellcheck disable=SC2086
        kill $pids 2>/dev/null || true
        for _ in $(seq 1 50); do
            [ -z "$(containerd_pids)" ] && break
            sleep 0.1
        done
        # shellcheck disable=SC2086
        kill -9 $pids 2>/dev/null || true
    fi
    rm -f "$STATE/exec/containerd/containerd.pid"
}

start() {
    mkdir -p "$STATE"
    if engine_pid >/dev/null && ping_engine; then
        echo "docker engine already running (pid $(engine_pid)) at $SOCK"
        return 0
    fi
    if engine_pid >/dev/null; then
        # Alive but not answering: give it a moment before judging it.
        for _ in $(seq 1 50); do
            ping_engine && return 0
            sleep 0.2
        done
        echo "docker engine (pid $(engine_pid)) does not answer; restarting it" >&2
        stop
    fi
    # A killed engine leaves its pid file, socket and its containerd, which
    # holds containerd's state lock; a fresh start must not trip over them.
    rm -f "$PIDFILE" "$SOCK"
    stop_orphan_containerd
    if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
        ip link add "$BRIDGE" type bridge
        ip addr add "$BRIDGE_CIDR" dev "$BRIDGE"
        ip link set "$BRIDGE" up
    fi
    mkdir -p "$STATE/docker" "$STATE/exec"
    setsid dockerd \
        --host "unix://$SOCK" \
        --data-root "$STATE/docker" \
        --exec-root "$STATE/exec" \
        --pidfile "$PIDFILE" \
        --bridge "$BRIDGE" \
        --containerd-namespace docker-on-openstack \
        --containerd-plugins-namespace docker-on-openstack-plugins \
        >>"$LOG" 2>&1 </dev/null &
    for _ in $(seq 1 150); do
        if ping_engine; then
            echo "docker engine started (pid $(engine_pid)) at $SOCK"
            return 0
        fi
        sleep 0.2
    done
    echo "docker engine did not answer /_ping within 30 s; last log lines:" >&2
    tail -n 30 "$LOG" >&2
    return 1
}

stop() {
    local pid
    if pid=$(engine_pid); then
        kill "$pid"
        for _ in $(seq 1 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.2
        done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
        echo "docker engine stopped (pid $pid)"
    else
        echo "docker engine not running"
    fi
    rm -f "$PIDFILE" "$SOCK"
    # dockerd bind-mounts its data root onto itself and leaves the mount
    # behind; without this `make clean` cannot remove .state/.
    if mountpoint -q "$STATE/docker"; then
        umount "$STATE/docker" || true
    fi
    # Likewise the bind mount of the engine's default network namespace.
    for ns in "$STATE"/exec/netns/*; do
        if mountpoint -q "$ns"; then
            umount "$ns" || true
        fi
    done
}

status() {
    if engine_pid >/dev/null && ping_engine; then
        echo "running (pid $(engine_pid)) at $SOCK"
    else
        echo "not running"
        return 1
    fi
}

case "${1:-start}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac

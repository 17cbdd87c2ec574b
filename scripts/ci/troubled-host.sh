#!/usr/bin/env bash
# A host in trouble, for running the test suite beside it (BRIEF: "tests judge only what they made").
#
#   scripts/ci/troubled-host.sh start    # make the trouble below; prints what it made
#   scripts/ci/troubled-host.sh status   # what is running now
#   scripts/ci/troubled-host.sh stop     # remove everything start made (idempotent; never fails)
#
# What start makes (root only; without root it says so and does nothing):
#   - network namespace `web` (somaxconn 128) with full accept queues on 127.0.0.1:8080 (listen(16),
#     40 clients) and 127.0.0.1:8889 (listen(511) clamped to 128, 200 clients; its server is out of
#     fds at RLIMIT_NOFILE 64, as in the seed incident), a CLOSE_WAIT leak (120 sockets), and 64
#     more full queues on 127.0.0.1:9000-9063 (listen(0)): long reports, crowded screens;
#   - in the host's own namespace: a full accept queue on a loopback port the kernel picks
#     (listen(8), 20 clients), a CLOSE_WAIT leak (200 sockets), a process at its fd limit (256);
#   - when docker.io is installed: a private dockerd (its own --data-root, --exec-root and socket,
#     no iptables, no bridge; nothing pulled) running a container named `web` (--network none,
#     somaxconn 16) whose 127.0.0.1:8080 queue is full.
# The clients replace connections the full queues dropped, so ListenOverflows keep rising. Every
# process carries the mark `sockdoc-troubled-host@STATE` in its arguments and exits by itself after
# SOCKDOC_TROUBLED_LIFETIME seconds (default 3 h). Traffic stays on loopback; no host-wide limit or
# sysctl is changed (RLIMIT_NOFILE is lowered per process, somaxconn only inside `web`).
# stop removes only what start recorded under $STATE: pids whose command line still carries the
# mark, the namespace `web` only if its inode is the one start made, the private dockerd by its
# pidfile. A `web` namespace that start did not make is never touched: start refuses instead.
#
# CI (.ci/run) starts it before `npm test` and stops it on exit, also when the tests fail. A developer:
#   sudo scripts/ci/troubled-host.sh start; npm test; sudo scripts/ci/troubled-host.sh stop
# Settings (environment): SOCKDOC_TROUBLED_STATE (default /tmp/sockdoc-troubled-host),
# SOCKDOC_TROUBLED_NETNS (default web), SOCKDOC_TROUBLED_DOCKER=0 (no container),
# SOCKDOC_TROUBLED_LIFETIME (seconds, default 10800). src/testing/troubled-host.test.ts runs a
# second one under its own names to check that start makes all of this and stop removes all of it.
set -uo pipefail
cd "$(dirname "$0")"
HERE=$(pwd)
PEER="$HERE/troubled-peer.py"
MARK=sockdoc-troubled-host
STATE=${SOCKDOC_TROUBLED_STATE:-/tmp/$MARK}
LIFETIME=${SOCKDOC_TROUBLED_LIFETIME:-10800}
NS=${SOCKDOC_TROUBLED_NETNS:-web}
DOCKER_DIR="$STATE/docker"
DOCKER_SOCK="unix://$DOCKER_DIR/docker.sock"
IMAGE=sockdoc-troubled:rootfs
PYTHON=$(command -v python3 || true)
# This instance's mark, in every peer's arguments: stop kills only processes that carry it.
TAG="$MARK@$STATE"

say() { echo "troubled-host: $*"; }
die() { say "$*" >&2; exit 1; }

netns_inode() { stat -L -c %i "/run/netns/$1" 2>/dev/null; }

# Starts a peer (optionally inside namespace $1 when not "-"), records its pid, waits for "ready PORT".
# Prints the port.
peer() {
  local ns=$1 name=$2
  shift 2
  local log="$STATE/$name.log"
  if [ "$ns" = - ]; then
    setsid "$PYTHON" "$PEER" "$TAG" "$LIFETIME" "$@" >"$log" 2>&1 </dev/null &
  else
    # `ip netns exec` execs the command itself (no fork): $! is the peer's pid.
    setsid ip netns exec "$ns" "$PYTHON" "$PEER" "$TAG" "$LIFETIME" "$@" >"$log" 2>&1 </dev/null &
  fi
  local pid=$!
  echo "$pid $name" >>"$STATE/pids"
  for _ in $(seq 1 200); do
    if grep -q '^ready ' "$log" 2>/dev/null; then
      sed -n 's/^ready //p' "$log" | head -1
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  die "peer $name ($*) not ready: $(tail -3 "$log" 2>/dev/null)"
}

docker_cli() { docker -H "$DOCKER_SOCK" "$@"; }

start_docker() {
  for bin in dockerd docker containerd runc; do
    command -v "$bin" >/dev/null || { say "no $bin: no container named web (install docker.io for it)"; return 0; }
  done
  mkdir -p "$DOCKER_DIR"
  setsid dockerd --data-root "$DOCKER_DIR/data" --exec-root "$DOCKER_DIR/exec" -H "$DOCKER_SOCK" \
    --pidfile "$DOCKER_DIR/docker.pid" --iptables=false --ip6tables=false --bridge=none \
    >"$DOCKER_DIR/dockerd.log" 2>&1 </dev/null &
  echo "$!" >"$DOCKER_DIR/dockerd.started"
  local up=
  for _ in $(seq 1 100); do
    if docker_cli info >/dev/null 2>&1; then up=1; break; fi
    sleep 0.2
  done
  [ -n "$up" ] || die "private dockerd did not answer within 20 s (see $DOCKER_DIR/dockerd.log)"
  # An empty rootfs; the host's /usr (python3) is bind-mounted read-only (Debian's /bin, /lib -> /usr).
  local rootfs="$DOCKER_DIR/rootfs"
  mkdir -p "$rootfs"/{etc,tmp,proc,sys,dev,usr,peer}
  ln -sfn usr/bin "$rootfs/bin"; ln -sfn usr/lib "$rootfs/lib"; ln -sfn usr/lib64 "$rootfs/lib64"; ln -sfn usr/sbin "$rootfs/sbin"
  printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' >"$rootfs/etc/passwd"
  tar -C "$rootfs" -cf "$DOCKER_DIR/rootfs.tar" . || die "tar of the rootfs failed"
  docker_cli import "$DOCKER_DIR/rootfs.tar" "$IMAGE" >/dev/null || die "docker import failed"
  docker_cli run -d --name web --network none --sysctl net.core.somaxconn=16 -v /usr:/usr:ro -v "$HERE:/peer:ro" \
    "$IMAGE" /usr/bin/python3 /peer/troubled-peer.py "$TAG" "$LIFETIME" stuck 8080 511 >/dev/null || die "docker run web failed"
  docker_cli exec -d web /usr/bin/python3 /peer/troubled-peer.py "$TAG" "$LIFETIME" clients 8080 40 || die "docker exec clients failed"
  say "container web (private dockerd $DOCKER_SOCK): full queue on 127.0.0.1:8080 (somaxconn 16)"
}

start() {
  [ "$(id -u)" = 0 ] || { say "needs root (network namespaces): nothing started"; return 0; }
  [ -n "$PYTHON" ] || die "python3 is not installed"
  if [ -e "$STATE" ]; then
    say "a previous run left $STATE: stopping it first"
    stop
  fi
  [ -e "/run/netns/$NS" ] && die "a network namespace named $NS exists and is not this script's: not touching it"
  mkdir -p "$STATE"
  chmod 755 "$STATE"
  : >"$STATE/pids"
  # In a subshell with -e: any failure (or die) ends it, and then everything made so far is removed.
  (set -e; make_trouble)
  local rc=$?
  if [ "$rc" != 0 ]; then
    say "start failed: removing what it made" >&2
    stop
    exit 1
  fi
  say "started (state: $STATE; stop: $0 stop)"
}

make_trouble() {
  ip netns add "$NS"
  netns_inode "$NS" >"$STATE/netns-inode"
  ip -n "$NS" link set lo up
  ip netns exec "$NS" sysctl -qw net.core.somaxconn=128

  peer "$NS" ns-8080-server stuck 8080 16 >/dev/null
  peer "$NS" ns-8080-clients clients 8080 40 >/dev/null
  peer "$NS" ns-8889-server stuck 8889 511 64 >/dev/null
  peer "$NS" ns-8889-clients clients 8889 200 >/dev/null
  local wleak; wleak=$(peer "$NS" ns-close-wait leak 120)
  peer "$NS" ns-many many 9000 64 >/dev/null
  say "netns $NS: full queues on 127.0.0.1:8080 (backlog 16) and 127.0.0.1:8889 (128; its server at its fd limit, 64), 120 CLOSE_WAIT on :$wleak, 64 more full queues on :9000-9063"

  local hport; hport=$(peer - host-full-server stuck 0 8)
  peer - host-full-clients clients "$hport" 20 >/dev/null
  local hleak; hleak=$(peer - host-close-wait leak 200)
  peer - host-fd-limit fd-limit 256 >/dev/null
  say "host namespace: full queue on 127.0.0.1:$hport (backlog 8), 200 CLOSE_WAIT on :$hleak, a process at its fd limit (256)"

  if [ "${SOCKDOC_TROUBLED_DOCKER:-1}" != 0 ]; then start_docker; fi
}

# Kills pid $1 only if its command line still carries this instance's mark (a pid can be reused).
kill_marked() {
  local pid=$1
  [ -r "/proc/$pid/cmdline" ] || return 0
  tr '\0' '\n' <"/proc/$pid/cmdline" | grep -qxF -- "$TAG" && kill -KILL "$pid" 2>/dev/null
  return 0
}

# Alive and not a zombie (a zombie holds no fds and no sockets any more).
running() {
  local st
  st=$(sed -n 's/^[0-9]* (.*) \([A-Z]\).*/\1/p' "/proc/$1/stat" 2>/dev/null)
  [ -n "$st" ] && [ "$st" != Z ]
}

stop_docker() {
  [ -d "$DOCKER_DIR" ] || return 0
  if [ -S "$DOCKER_DIR/docker.sock" ]; then
    timeout 20 docker -H "$DOCKER_SOCK" rm -f web >/dev/null 2>&1
    timeout 20 docker -H "$DOCKER_SOCK" rmi -f "$IMAGE" >/dev/null 2>&1
  fi
  local pid
  pid=$(cat "$DOCKER_DIR/dockerd.started" 2>/dev/null)
  # Only the dockerd this script started: its command line names this data root.
  if [ -n "$pid" ] && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "--data-root $DOCKER_DIR/data"; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  fi
  umount -R "$DOCKER_DIR/exec" 2>/dev/null
  umount -R "$DOCKER_DIR/data" 2>/dev/null
  return 0
}

stop() {
  [ -d "$STATE" ] || { say "nothing to stop"; return 0; }
  stop_docker
  if [ -f "$STATE/pids" ]; then
    while read -r pid _; do kill_marked "$pid"; done <"$STATE/pids"
    # SIGKILL is delivered asynchronously: wait (bounded) until each is gone or a zombie, so that
    # whoever runs next does not meet them.
    while read -r pid _; do
      for _ in $(seq 1 50); do
        running "$pid" || break
        sleep 0.1
      done
    done <"$STATE/pids"
  fi
  local made
  made=$(cat "$STATE/netns-inode" 2>/dev/null)
  if [ -n "$made" ] && [ "$(netns_inode "$NS")" = "$made" ]; then
    # Marked processes still inside (a peer's child, if one ever forks) go with it.
    for pid in $(ip netns pids "$NS" 2>/dev/null); do kill_marked "$pid"; done
    ip netns del "$NS" 2>/dev/null || say "could not delete netns $NS" >&2
  fi
  rm -rf "$STATE" || say "could not remove $STATE" >&2
  say "stopped"
  return 0
}

status() {
  [ -d "$STATE" ] || { say "not running"; return 0; }
  while read -r pid name; do
    if kill -0 "$pid" 2>/dev/null; then echo "  $name: pid $pid"; else echo "  $name: pid $pid gone"; fi
  done <"$STATE/pids"
  [ -S "$DOCKER_DIR/docker.sock" ] && docker_cli ps --format '  container {{.Names}}: {{.Status}}'
  return 0
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac

#!/usr/bin/env python3
"""Peers of the troubled host (scripts/ci/troubled-host.sh): trouble a real host has, so that the
test suite runs beside it. Loopback only, inside whatever network namespace it is started in.

  troubled-peer.py MARK LIFETIME stuck PORT BACKLOG [NOFILE]
      listen(BACKLOG) on 127.0.0.1:PORT (0: the kernel picks) and never accept(); with NOFILE,
      first lower this process's own RLIMIT_NOFILE to NOFILE and open /dev/null until EMFILE (the
      seed incident: a server out of fds whose queue fills). Prints "ready PORT".
  troubled-peer.py MARK LIFETIME clients PORT N
      keep N connections to 127.0.0.1:PORT open or trying: a connection that failed (the SYN
      retries of one the full queue dropped run out after ~2 min) is replaced, so the listener's
      namespace keeps counting ListenOverflows. Prints "ready PORT".
  troubled-peer.py MARK LIFETIME many PORT N
      N listeners on 127.0.0.1:PORT .. PORT+N-1, each listen(0) and never accept(), with two
      clients each: one waits in the queue, the other's handshake is dropped (and retried, then
      replaced, as above). A host with many full queues at once: long reports, crowded screens.
      Prints "ready PORT".
  troubled-peer.py MARK LIFETIME leak N
      a server on 127.0.0.1 (port picked by the kernel) that accepts N connections from itself,
      whose client ends then close: the N accepted sockets stay in CLOSE_WAIT, never closed.
      Prints "ready PORT".
  troubled-peer.py MARK LIFETIME fd-limit NOFILE
      lowers its own RLIMIT_NOFILE to NOFILE and opens /dev/null until EMFILE, then waits.
      Prints "ready 0".

MARK (sockdoc-troubled-host@STATE) tells the processes of one troubled host apart (in `ps`, and for
its stop, which kills only the processes carrying it); every peer exits by itself after LIFETIME
seconds. Never a host-wide limit: RLIMIT_NOFILE is per process.
"""
import errno
import os
import resource
import socket
import sys
import time


def at_fd_limit(nofile):
    resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))
    held = []
    while True:
        try:
            held.append(os.open("/dev/null", os.O_RDONLY))
        except OSError as e:
            if e.errno == errno.EMFILE:
                return held
            raise


def listener(port, backlog):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(backlog)
    return s


def connect(port):
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    c.setblocking(False)
    c.connect_ex(("127.0.0.1", port))
    return c


def main():
    _mark, lifetime, role = sys.argv[1], float(sys.argv[2]), sys.argv[3]
    deadline = time.monotonic() + lifetime
    held = []
    if role == "stuck":
        s = listener(int(sys.argv[4]), int(sys.argv[5]))
        held.append(s)
        port = s.getsockname()[1]
        if len(sys.argv) > 6:
            held += at_fd_limit(int(sys.argv[6]))
        print("ready", port, flush=True)
        while time.monotonic() < deadline:
            time.sleep(5)
    elif role == "clients":
        port, n = int(sys.argv[4]), int(sys.argv[5])
        conns = [connect(port) for _ in range(n)]
        time.sleep(0.5)  # let the handshakes that can complete do so
        print("ready", port, flush=True)
        while time.monotonic() < deadline:
            time.sleep(5)
            for i, c in enumerate(conns):
                if c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                    c.close()
                    conns[i] = connect(port)
    elif role == "many":
        first, n = int(sys.argv[4]), int(sys.argv[5])
        for i in range(n):
            held.append(listener(first + i, 0))
        conns = [(first + i // 2, connect(first + i // 2)) for i in range(2 * n)]
        time.sleep(0.5)
        print("ready", first, flush=True)
        while time.monotonic() < deadline:
            time.sleep(5)
            for i, (port, c) in enumerate(conns):
                if c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR) != 0:
                    c.close()
                    conns[i] = (port, connect(port))
    elif role == "leak":
        n = int(sys.argv[4])
        s = listener(0, n + 16)
        held.append(s)
        port = s.getsockname()[1]
        clients = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(n)]
        for _ in range(n):
            held.append(s.accept()[0])
        for c in clients:
            c.close()
        print("ready", port, flush=True)
        while time.monotonic() < deadline:
            time.sleep(5)
    elif role == "fd-limit":
        held += at_fd_limit(int(sys.argv[4]))
        print("ready 0", flush=True)
        while time.monotonic() < deadline:
            time.sleep(5)
    else:
        sys.exit("unknown role " + role)


main()

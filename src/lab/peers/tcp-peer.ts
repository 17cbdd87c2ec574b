/**
 * A small TCP peer in Python, for servers that must run where Node is not: inside a container
 * whose only software is the host's /usr mounted read-only (python3 is there; a Node in /usr/local
 * or a user's home is not). `writeTcpPeer(dir)` writes it as DIR/tcp-peer.py:
 *   tcp-peer.py stuck PORT | accepting PORT | slow PORT | clients PORT N | trickle PORT RATE | http-keepalive PORT N | http-partial PORT N
 *   tcp-peer.py unix-stuck PATH BACKLOG [stream|seqpacket] | unix-accepting PATH | unix-clients PATH N
 * (see the script's docstring). Used by the container lab and by the network-namespace tests.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const TCP_PEER_PY = `#!/usr/bin/env python3
"""TCP peers for the network-namespace tests, run inside a namespace the test made.

  tcp-peer.py stuck PORT [BACKLOG [ADDR]]       listen(BACKLOG, default 511) on ADDR:PORT
                                                 (default 127.0.0.1; "::" = dual-stack) and never accept()
  tcp-peer.py accepting PORT [BACKLOG [ADDR]]   the same, and accept() every connection, keeping it open
  tcp-peer.py slow PORT [BACKLOG [ADDR [MS]]]   the same, accept() one connection every MS ms (default 1000)
  tcp-peer.py clients PORT N [ADDR]              open N connections to ADDR:PORT (default 127.0.0.1)
                                                 without waiting for them
  tcp-peer.py trickle PORT RATE [ADDR]           open RATE new connections a second to ADDR:PORT, holding them
  tcp-peer.py http-keepalive PORT N
                                                 N HTTP/1.1 clients: each connects, sends one GET and keeps the
                                                 connection open (idle keep-alive), one after another
  tcp-peer.py http-partial PORT N
                                 N HTTP clients that send a request line and never finish the
                                 request: each holds a server worker that waits for the rest
  tcp-peer.py unix-stuck PATH BACKLOG [stream|seqpacket]
                                 listen(BACKLOG) on the unix-domain socket PATH ("@name": abstract)
                                 and never accept()
  tcp-peer.py unix-accepting PATH
                                 listen(511) on PATH and accept() every connection, keeping it open
  tcp-peer.py unix-clients PATH N [stream|seqpacket]
                                 N non-blocking connect()s to PATH; prints "connected C eagain E"

Each prints "ready" when set up and exits by itself after 60 s (a test that dies leaves nothing
running for long); the test kills it earlier.
"""
import socket
import sys
import threading
import time

LIFETIME = 60


def arg(i, default):
    return sys.argv[i] if len(sys.argv) > i else default


def family(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def listener(port):
    addr = arg(4, "127.0.0.1")
    s = socket.socket(family(addr), socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if family(addr) == socket.AF_INET6:
        s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 0)  # "::" takes IPv4 clients too
    s.bind((addr, port))
    s.listen(int(arg(3, "511")))
    return s


def unix_address(path):
    return "\\0" + path[1:] if path.startswith("@") else path


def unix_type(name):
    return socket.SOCK_SEQPACKET if name == "seqpacket" else socket.SOCK_STREAM


def unix_listener(path, backlog, kind):
    s = socket.socket(socket.AF_UNIX, unix_type(kind))
    s.bind(unix_address(path))
    s.listen(backlog)
    return s


def connect(port, addr, held):
    c = socket.socket(family(addr), socket.SOCK_STREAM)
    c.setblocking(False)
    c.connect_ex((addr, port))
    held.append(c)


def main():
    role = sys.argv[1]
    held = []
    if role.startswith("unix-"):
        path = sys.argv[2]
        if role == "unix-stuck":
            held.append(unix_listener(path, int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else "stream"))
        elif role == "unix-accepting":
            s = unix_listener(path, 511, sys.argv[3] if len(sys.argv) > 3 else "stream")
            held.append(s)

            def serve_unix():
                while True:
                    c, _ = s.accept()
                    held.append(c)

            threading.Thread(target=serve_unix, daemon=True).start()
        elif role == "unix-clients":
            connected = eagain = 0
            for _ in range(int(sys.argv[3])):
                c = socket.socket(socket.AF_UNIX, unix_type(sys.argv[4] if len(sys.argv) > 4 else "stream"))
                c.setblocking(False)
                try:
                    c.connect(unix_address(path))
                    held.append(c)
                    connected += 1
                except BlockingIOError:
                    c.close()
                    eagain += 1
            print("connected %d eagain %d" % (connected, eagain), flush=True)
        else:
            sys.exit("unknown role " + role)
        print("ready", flush=True)
        time.sleep(LIFETIME)
        return
    port = int(sys.argv[2])
    if role == "stuck":
        held.append(listener(port))
    elif role in ("accepting", "slow"):
        s = listener(port)
        held.append(s)
        pause = int(arg(5, "1000")) / 1000 if role == "slow" else 0

        def serve():
            while True:
                c, _ = s.accept()
                held.append(c)
                time.sleep(pause)

        threading.Thread(target=serve, daemon=True).start()
    elif role == "clients":
        for _ in range(int(sys.argv[3])):
            connect(port, arg(4, "127.0.0.1"), held)
        time.sleep(0.5)  # let the handshakes that can complete do so
    elif role == "http-partial":
        for _ in range(int(sys.argv[3])):
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.settimeout(0.5)
            try:
                c.connect(("127.0.0.1", port))
                c.sendall(b"GET / HTTP/1.1\\r\\n")
            except OSError:
                pass  # queued or refused at the server's cap: what is being shown
            held.append(c)
    elif role == "http-keepalive":
        for _ in range(int(sys.argv[3])):
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            c.settimeout(2)
            try:
                c.connect(("127.0.0.1", port))
                c.sendall(b"GET / HTTP/1.1\\r\\nHost: sockdoc\\r\\nConnection: keep-alive\\r\\n\\r\\n")
                c.recv(4096)
            except OSError:
                pass  # closed or refused by the server at its cap: that is what is being shown
            held.append(c)
    elif role == "trickle":
        rate, addr = int(sys.argv[3]), arg(4, "127.0.0.1")

        def trickle():
            while True:
                connect(port, addr, held)
                time.sleep(1 / rate)

        threading.Thread(target=trickle, daemon=True).start()
    else:
        sys.exit("unknown role " + role)
    print("ready", flush=True)
    time.sleep(LIFETIME)


main()
`;

/** Writes tcp-peer.py into `dir` (mode 0644, readable by any user); returns its path. */
export function writeTcpPeer(dir: string): string {
  const path = join(dir, 'tcp-peer.py');
  writeFileSync(path, TCP_PEER_PY, { mode: 0o644 });
  return path;
}

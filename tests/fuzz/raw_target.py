"""Malformed and hostile HTTP over raw sockets, at every port (control, Slack, Okta):
bad request lines, header floods, a huge announced body that never comes, truncated
and badly chunked bodies, slowloris heads and bodies (bounded), clients that never read
their answers, idle and silent connections.

Throughout, a prober calls `auth.test` in a universe of its own every 100 ms: each
answer must come within PROMPT_S, so no hostile connection stalls another universe.
Silent and idle connections opened when the run starts must be closed by the server
by the end (the server's head timeout is 30 s).
"""

from __future__ import annotations

import random
import socket
import threading
import time
from urllib.parse import urlsplit

from common import HANG_S, Server, Tally, session

PROMPT_S = 2.0
# The server closes a connection that sends no request head within this (serve.rs).
SERVER_HEAD_TIMEOUT_S = 30.0


def hostport(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def connect(addr: tuple[str, int]) -> socket.socket:
    s = socket.create_connection(addr, timeout=HANG_S)
    s.settimeout(HANG_S)
    return s


def exchange(addr: tuple[str, int], data: bytes, half_close: bool = False, wait: float = HANG_S) -> tuple[str | None, float]:
    """Sends `data`, reads the first line of the answer. (None, t) when nothing came
    within `wait` while the connection stayed open (a hang); ("", t) when the server
    closed without answering."""
    started = time.monotonic()
    s = connect(addr)
    s.settimeout(wait)
    try:
        try:
            s.sendall(data)
        except OSError:
            pass  # the server may refuse early and close while we still send
        if half_close:
            try:
                s.shutdown(socket.SHUT_WR)
            except OSError:
                pass
        try:
            first = s.recv(4096)
        except socket.timeout:
            return None, time.monotonic() - started
        except OSError:
            return "", time.monotonic() - started
        return first.split(b"\r\n", 1)[0].decode("latin-1"), time.monotonic() - started
    finally:
        s.close()


def status_of(line: str | None) -> int | None:
    if line is None:
        return None
    parts = line.split(" ")
    if len(parts) >= 2 and parts[0].startswith("HTTP/") and parts[1].isdigit():
        return int(parts[1])
    return 0  # closed without an answer: refused, not a hang


class Prober(threading.Thread):
    """Calls auth.test in its own universe every 100 ms; remembers the slowest answer."""

    def __init__(self, server: Server) -> None:
        super().__init__(daemon=True)
        universe = server.create_universe()
        self.uid = universe["id"]
        self.url = universe["slack"]["base_url"].rstrip("/") + "/auth.test"
        self.http = session({"Authorization": f"Bearer {universe['slack']['bot_token']}"})
        self.stop = threading.Event()
        self.calls = 0
        self.slowest = 0.0
        self.failures: list[str] = []

    def run(self) -> None:
        while not self.stop.is_set():
            started = time.monotonic()
            try:
                r = self.http.post(self.url, timeout=HANG_S)
                if r.status_code != 200 or not r.json().get("ok"):
                    self.failures.append(f"auth.test answered {r.status_code}: {r.text[:100]}")
            except Exception as e:  # a timeout or refused connection: the universe stalled
                self.failures.append(f"auth.test failed: {type(e).__name__}")
            took = time.monotonic() - started
            self.calls += 1
            self.slowest = max(self.slowest, took)
            self.stop.wait(0.1)


class IdleWatch:
    """Connections opened when the run starts that never speak, or go quiet after one
    request; by the end the server must have closed them all."""

    def __init__(self, server: Server) -> None:
        self.started = time.monotonic()
        self.socks: list[tuple[str, socket.socket]] = []
        ports = [("control", server.control_url)] + [
            (name, server.manifest[name]["base_url" if name == "slack" else "org_url"])
            for name in ("slack", "okta")
            if name in server.manifest
        ]
        for name, url in ports:
            addr = hostport(url)
            silent = connect(addr)
            self.socks.append((f"silent {name}", silent))
            half = connect(addr)
            half.sendall(b"GET /_dtu/health HTTP/1.1\r\nHost: x\r\n")  # a head never finished
            self.socks.append((f"half-open {name}", half))
            idle = connect(addr)
            idle.sendall(b"GET /_dtu/health HTTP/1.1\r\nHost: x\r\n\r\n")
            idle.recv(4096)
            self.socks.append((f"idle keep-alive {name}", idle))

    def check(self, tally: Tally) -> None:
        wait = SERVER_HEAD_TIMEOUT_S + 3 - (time.monotonic() - self.started)
        if wait > 0:
            time.sleep(wait)
        for name, s in self.socks:
            s.settimeout(2.0)
            try:
                while s.recv(65536):
                    pass
                closed = True
            except socket.timeout:
                closed = False
            except OSError:
                closed = True
            tally.requests += 1
            if not closed:
                tally.fail(f"the {name} connection is still open {time.monotonic() - self.started:.0f} s on", hang=True)
            s.close()


def run(server: Server, seed: int, rounds: int, budget_s: float, idle: IdleWatch | None = None) -> Tally:
    tally = Tally("raw")
    started = time.monotonic()
    rnd = random.Random(seed)
    prober = Prober(server)
    prober.start()
    universe = server.create_universe()
    slack = hostport(universe["slack"]["base_url"])
    okta = hostport(universe["okta"]["org_url"])
    control = hostport(server.control_url)
    bot = universe["slack"]["bot_token"]
    ssws = universe["okta"]["api_token"]
    admin = server.admin_headers.get("Authorization", "")
    addrs = [("slack", slack, f"Authorization: Bearer {bot}\r\n", "/api/chat.postMessage"),
             ("okta", okta, f"Authorization: SSWS {ssws}\r\n", "/api/v1/users"),
             ("control", control, f"Authorization: {admin}\r\n" if admin else "", "/_dtu/universes")]

    def expect(what: str, line: str | None, took: float, allowed: set[int] | None = None) -> None:
        status = status_of(line)
        tally.record(status, what, took)
        if status is not None and allowed is not None and status not in allowed and status != 0:
            tally.notes.append(f"{what}: answered {status}, expected one of {sorted(allowed)}")

    for _ in range(rounds):
        for name, addr, auth, path in addrs:
            if time.monotonic() - started > budget_s or not server.alive():
                break
            junk = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 2048)))
            bad_lines = [
                b"GARBAGE\r\n\r\n",
                b"GET\r\n\r\n",
                b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
                b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + junk[:64],  # a TLS hello
                junk + b"\r\n\r\n",
                b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
                b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
                b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
                b"GET / HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n\r\n",
                b"GET / HTTP/1.1\r\nHost: x\r\nX: a\x00b\r\n\r\n",
                b"GET / HTTP/1.1\r\nHost: x\r\nX: a\r\n folded\r\n\r\n",
                b"GET /%zz%00%ff/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
                b"GET /u/" + b"z" * 5000 + b"/api/auth.test HTTP/1.1\r\nHost: x\r\n\r\n",
                b"OPTIONS * HTTP/1.1\r\nHost: x\r\n\r\n",
                b"CONNECT example.com:443 HTTP/1.1\r\nHost: example.com\r\n\r\n",
                b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
                b"GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
            ]
            for data in bad_lines:
                line, took = exchange(addr, data, half_close=rnd.random() < 0.5)
                expect(f"{name} bad request {data[:40]!r}", line, took)
            # Header floods: many headers, and one huge header.
            many = "".join(f"X-F{i}: {i}\r\n" for i in range(5000)).encode()
            line, took = exchange(addr, f"GET {path} HTTP/1.1\r\nHost: x\r\n".encode() + many + b"\r\n")
            expect(f"{name} 5000 headers", line, took)
            line, took = exchange(addr, f"GET {path} HTTP/1.1\r\nHost: x\r\nX-Big: ".encode() + b"b" * 1_000_000 + b"\r\n\r\n")
            expect(f"{name} 1 MB header", line, took)
            # A body announced as 93 GB that never comes: refused at once.
            head = f"POST {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\nContent-Length: 99999999999\r\n\r\n"
            line, took = exchange(addr, head.encode(), wait=PROMPT_S)
            expect(f"{name} Content-Length 99999999999 without a body", line, took, {413})
            if line is None:
                tally.fail(f"{name}: Content-Length 99999999999 was waited on, not refused at once", hang=True)
            # Truncated (the client closes its side) and badly chunked bodies: 400.
            head = f"POST {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
            line, took = exchange(addr, head.encode() + b'{"cut', half_close=True)
            expect(f"{name} truncated body", line, took, {400})
            head = f"POST {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            line, took = exchange(addr, head.encode() + b"zz\r\n{}\r\n0\r\n\r\n", half_close=True)
            expect(f"{name} malformed chunked body", line, took, {400})
        # Slowloris, bounded: heads and bodies trickled a byte at a time over a few
        # seconds on many connections, while the prober keeps its universe busy.
        _slowloris(addrs, tally, seconds=3.0, connections=40)
        # Clients that never read: many pipelined requests for big answers, never read.
        _never_read(addrs, tally, connections=10)
    prober.stop.set()
    prober.join(timeout=HANG_S)
    tally.requests += prober.calls
    if prober.slowest > PROMPT_S:
        tally.fail(f"another universe stalled: auth.test took {prober.slowest:.1f} s during hostile traffic", hang=True)
    for failure in prober.failures[:3]:
        tally.fail(f"prober: {failure}")
    tally.notes.append(f"prober: {prober.calls} auth.test calls, slowest {prober.slowest * 1000:.0f} ms")
    if idle is not None:
        idle.check(tally)
    server.delete_universe(universe["id"])
    server.delete_universe(prober.uid)
    tally.seconds = time.monotonic() - started
    return tally


def _slowloris(addrs: list, tally: Tally, seconds: float, connections: int) -> None:
    socks = []
    for i in range(connections):
        name, addr, auth, path = addrs[i % len(addrs)]
        try:
            s = connect(addr)
        except OSError as e:
            tally.fail(f"{name}: cannot connect during slowloris: {e}")
            continue
        if i % 2:
            data = f"POST {path} HTTP/1.1\r\nHost: x\r\n{auth}Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n".encode()
            s.sendall(data)
        socks.append(s)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for s in socks:
            try:
                s.sendall(b"X")
            except OSError:
                pass
        time.sleep(0.2)
    for s in socks:
        s.close()
    tally.requests += len(socks)


def _never_read(addrs: list, tally: Tally, connections: int) -> None:
    socks = []
    for i in range(connections):
        name, addr, auth, _ = addrs[i % len(addrs)]
        path = "/_dtu/openapi.yaml"
        s = connect(addr)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        request = f"GET {path} HTTP/1.1\r\nHost: x\r\n{auth}\r\n".encode()
        try:
            s.settimeout(1.0)
            for _ in range(200):
                s.sendall(request)
        except OSError:
            pass  # the server stopped reading once its answers backed up: expected
        socks.append(s)
    time.sleep(1.0)
    for s in socks:
        s.close()
    tally.requests += len(socks)

"""What every fuzz target shares: the `dtu serve` process, an HTTP session that never
goes through a proxy, and the tally of what a target tried and what went wrong.

A request *fails* the run when it answers 5xx (no chaos rules are installed during
the fuzz run, so no 5xx is an injected fault), when it takes longer than
`HANG_S` to answer (a hang), or when the server process dies or prints a panic (a
crash). Client errors (4xx, vendor error bodies) are the point of the exercise.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

REPO_ROOT = Path(__file__).resolve().parents[2]
PANIC_MARKER = "panicked at"
# A request that has not answered in this long is a hang.
HANG_S = 10.0
MANIFEST_TIMEOUT_S = 30.0


def shared_dir() -> Path:
    """`shared/` holds the vendor specs: beside the repository in CI (`<repo>/../shared`),
    or named by DTU_SHARED."""
    env = os.environ.get("DTU_SHARED")
    if env:
        return Path(env)
    for candidate in (REPO_ROOT.parent / "shared", REPO_ROOT / "shared", Path("/work/shared")):
        if (candidate / "vendor").is_dir():
            return candidate
    return REPO_ROOT.parent / "shared"


@dataclass
class Tally:
    """What one target tried and what went wrong (at most a few examples kept)."""

    name: str
    requests: int = 0
    server_errors: int = 0
    hangs: int = 0
    crashes: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    examples: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def record(self, status: int | None, what: str, elapsed: float) -> None:
        self.requests += 1
        if status is None:
            self.hangs += 1
            self._example(f"no answer within {HANG_S:.0f} s: {what}")
            return
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status >= 500:
            self.server_errors += 1
            self._example(f"{status}: {what}")
        elif elapsed > HANG_S:
            self.hangs += 1
            self._example(f"answered {status} only after {elapsed:.1f} s: {what}")

    def fail(self, what: str, hang: bool = False) -> None:
        """A problem that is not one request's status (a stall, a connection kept open)."""
        if hang:
            self.hangs += 1
        else:
            self.server_errors += 1
        self._example(what)

    def _example(self, text: str) -> None:
        if len(self.examples) < 8:
            self.examples.append(text[:400])

    @property
    def failed(self) -> bool:
        return bool(self.server_errors or self.hangs or self.crashes)

    def line(self) -> str:
        top = ", ".join(f"{s}:{n}" for s, n in sorted(self.statuses.items()))
        return (
            f"{self.name:<9} requests {self.requests:>6}  5xx {self.server_errors}  crashes {self.crashes}  "
            f"hangs {self.hangs}  ({self.seconds:.0f} s; statuses {top})"
        )


def session(headers: dict[str, str] | None = None) -> requests.Session:
    s = requests.Session()
    s.trust_env = False  # never route 127.0.0.1 through a proxy
    if headers:
        s.headers.update(headers)
    return s


class Server:
    """A `dtu serve --port-base 0` of our own, with its manifest."""

    def __init__(self, binary: Path) -> None:
        self.workdir = Path(tempfile.mkdtemp(prefix="dtu-fuzz-"))
        self.manifest_path = self.workdir / "manifest.json"
        self.stderr_path = self.workdir / "stderr.log"
        env = dict(os.environ)
        env.setdefault("RUST_BACKTRACE", "1")
        with open(self.workdir / "stdout.log", "wb") as out, open(self.stderr_path, "wb") as err:
            self.process = subprocess.Popen(
                [str(binary.resolve()), "serve", "--port-base", "0", "--manifest", str(self.manifest_path)],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=env,
                cwd=self.workdir,
            )
        self.manifest = self._wait_manifest()
        token = self.manifest.get("admin_token")
        # Sent whenever the manifest has one: the control plane answers only the admin token.
        self.admin_headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.control_url = self.manifest["control_url"]
        self.control = session(self.admin_headers)

    def _wait_manifest(self) -> dict[str, Any]:
        deadline = time.monotonic() + MANIFEST_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                return json.loads(self.manifest_path.read_text())
            except (FileNotFoundError, json.JSONDecodeError):
                pass
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"dtu serve wrote no manifest:\n{self.stderr()[-4000:]}")

    def url(self, path: str) -> str:
        return self.control_url + path.lstrip("/")

    def create_universe(self, **body: Any) -> dict[str, Any]:
        r = self.control.post(self.url("universes"), json=body, timeout=HANG_S)
        if r.status_code != 201:
            raise RuntimeError(f"POST universes -> {r.status_code}: {r.text[:300]}")
        return r.json()

    def delete_universe(self, uid: str) -> None:
        self.control.delete(self.url(f"universes/{uid}"), timeout=HANG_S)

    def alive(self) -> bool:
        return self.process.poll() is None

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def panicked(self) -> bool:
        return PANIC_MARKER in self.stderr()

    def stop(self) -> int | None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=8)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def timed(send: Any) -> tuple[int | None, float]:
    """Runs `send()` (a requests call); returns (status or None on a timeout, seconds)."""
    started = time.monotonic()
    try:
        r = send()
        status: int | None = r.status_code
    except requests.exceptions.Timeout:
        status = None
    except requests.exceptions.ConnectionError:
        # A dropped connection is no hang; the crash check sees a dead server.
        status = 0
    return status, time.monotonic() - started

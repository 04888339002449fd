"""pytest harness: runs the official Slack SDKs against a real `dtu serve`.

Session fixture `dtu` starts the server binary once per test session
(`$DTU_BIN`, else `<repo>/target/debug/dtu`) with `--port-base 0` and waits for
its manifest. Function fixture `universe` gives each test a fresh universe
created through the control plane and deletes it afterwards.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests


def _extend_no_proxy() -> None:
    # slack_sdk reads HTTP(S)_PROXY itself and would send http://127.0.0.1 calls
    # to a proxy; NO_PROXY makes urllib (and requests/aiohttp) bypass it.
    local = ["127.0.0.1", "localhost"]
    for name in ("NO_PROXY", "no_proxy"):
        current = [h.strip() for h in os.environ.get(name, "").split(",") if h.strip()]
        os.environ[name] = ",".join(current + [h for h in local if h not in current])


_extend_no_proxy()

REPO_ROOT = Path(__file__).resolve().parents[3]
MANIFEST_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 5.0
PANIC_MARKER = "panicked at"


def dtu_binary() -> Path:
    env = os.environ.get("DTU_BIN")
    return Path(env) if env else REPO_ROOT / "target" / "debug" / "dtu"


class Control:
    """Thin requests wrapper for the control plane (`.../_dtu/`).

    Paths are relative to the control URL: `control.get("health")`,
    `control.post("universes", json={})`. Every method returns the raw
    `requests.Response`; callers assert on status codes themselves.
    """

    def __init__(self, control_url: str, admin_token: str | None, timeout: float = 10.0) -> None:
        self.base = control_url if control_url.endswith("/") else control_url + "/"
        self.timeout = timeout
        self.session = requests.Session()
        self.session.trust_env = False  # never route 127.0.0.1 through a proxy
        if admin_token:
            # The control plane answers only the admin token `dtu serve` wrote to its manifest.
            self.session.headers["Authorization"] = f"Bearer {admin_token}"

    def url(self, path: str) -> str:
        return self.base + path.lstrip("/")

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", self.timeout)
        return self.session.request(method, self.url(path), **kwargs)

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("POST", path, json=json, **kwargs)

    def put(self, path: str, json: Any = None, **kwargs: Any) -> requests.Response:
        return self.request("PUT", path, json=json, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.request("DELETE", path, **kwargs)

    def close(self) -> None:
        self.session.close()


@dataclass
class Dtu:
    """A running `dtu serve` process and what its manifest says."""

    manifest: dict[str, Any]
    process: subprocess.Popen
    workdir: Path
    stderr_path: Path
    stdout_path: Path
    control: Control = field(init=False)

    def __post_init__(self) -> None:
        self.control = Control(self.control_url, self.admin_token)

    @property
    def control_url(self) -> str:
        return self.manifest["control_url"]

    @property
    def admin_token(self) -> str | None:
        return self.manifest.get("admin_token")

    @property
    def slack(self) -> dict[str, Any]:
        return self.manifest["slack"]

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")


def _read_manifest(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        # The server renames a complete temp file into place, so a partial read
        # should not happen; retry anyway rather than fail on a race.
        return None


def _stop(proc: subprocess.Popen) -> tuple[int, bool]:
    """SIGTERM, then SIGKILL after STOP_TIMEOUT_S. Returns (status, was_killed)."""
    if proc.poll() is not None:
        return proc.returncode, False
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=STOP_TIMEOUT_S), False
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(), True


@pytest.fixture(scope="session")
def dtu(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dtu]:
    binary = dtu_binary()
    if not binary.is_file():
        pytest.fail(
            f"dtu binary not found at {binary}; run `cargo build` at the repo root "
            "or set DTU_BIN",
            pytrace=False,
        )

    workdir = tmp_path_factory.mktemp("dtu")
    manifest_path = workdir / "manifest.json"
    stdout_path = workdir / "stdout.log"
    stderr_path = workdir / "stderr.log"
    env = dict(os.environ)
    env.setdefault("RUST_BACKTRACE", "1")

    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        proc = subprocess.Popen(
            [str(binary), "serve", "--port-base", "0", "--manifest", str(manifest_path)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env=env,
            cwd=workdir,
        )

    manifest = None
    deadline = time.monotonic() + MANIFEST_TIMEOUT_S
    while time.monotonic() < deadline:
        manifest = _read_manifest(manifest_path)
        if manifest is not None or proc.poll() is not None:
            break
        time.sleep(0.05)

    if manifest is None:
        exited = proc.poll()
        _stop(proc)
        why = (
            f"exited with status {exited} before writing its manifest"
            if exited is not None
            else f"wrote no manifest within {MANIFEST_TIMEOUT_S:.0f} s"
        )
        pytest.fail(
            f"dtu serve {why}.\n--- stderr ({stderr_path}) ---\n"
            + stderr_path.read_text(errors="replace")[-8000:],
            pytrace=False,
        )

    server = Dtu(
        manifest=manifest,
        process=proc,
        workdir=workdir,
        stderr_path=stderr_path,
        stdout_path=stdout_path,
    )
    try:
        yield server
    finally:
        server.control.close()
        status, killed = _stop(proc)
        stderr = server.stderr()
        problems = []
        if killed:
            problems.append(f"did not exit within {STOP_TIMEOUT_S:.0f} s of SIGTERM (killed)")
        elif status != 0:
            problems.append(f"exited with status {status}")
        if PANIC_MARKER in stderr:
            problems.append("panicked")
        if problems:
            pytest.fail(
                "dtu serve " + " and ".join(problems)
                + f".\n--- stderr ({stderr_path}) ---\n" + stderr[-8000:],
                pytrace=False,
            )


@pytest.fixture(scope="session")
def control(dtu: Dtu) -> Control:
    return dtu.control


@pytest.fixture
def universe(control: Control) -> Iterator[dict[str, Any]]:
    """A fresh universe (default fixture), deleted after the test."""
    resp = control.post("universes", json={})
    assert resp.status_code == 201, f"POST universes -> {resp.status_code}: {resp.text}"
    created = resp.json()
    yield created
    resp = control.delete(f"universes/{created['id']}")
    # 404: the test deleted it itself.
    assert resp.status_code in (204, 404), (
        f"DELETE universes/{created['id']} -> {resp.status_code}: {resp.text}"
    )

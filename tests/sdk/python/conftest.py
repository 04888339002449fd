"""pytest harness: runs the official SDKs against a real `dtu serve`.

The server and the universes come from the repository's own pytest plugin,
`clients/python` (dtu-testing, which `scripts/test` installs into .venv): it starts
the binary once per session (`dtu_bin` below: `$DTU_BIN`, else
`<repo>/target/debug/dtu`) with `--port-base 0`, and forks each test a universe of
its own, deleted afterwards. The fixtures these tests use are thin aliases: `dtu`
(the server, with a requests-based `control`), `control`, and `universe` (the
universe's manifest object).
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

import pytest
import requests
from dtu_testing import DtuServer, Universe
from dtu_testing.server import read_manifest as _read_manifest  # noqa: F401 (test_dashboard's)
from dtu_testing.server import stop_process as _stop  # noqa: F401 (test_dashboard's)


def _extend_no_proxy() -> None:
    # slack_sdk reads HTTP(S)_PROXY itself and would send http://127.0.0.1 calls
    # to a proxy; NO_PROXY makes urllib (and requests/aiohttp) bypass it.
    local = ["127.0.0.1", "localhost"]
    for name in ("NO_PROXY", "no_proxy"):
        current = [h.strip() for h in os.environ.get(name, "").split(",") if h.strip()]
        os.environ[name] = ",".join(current + [h for h in local if h not in current])


_extend_no_proxy()

REPO_ROOT = Path(__file__).resolve().parents[3]


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
    """The session's `dtu serve` (the `dtu_server` fixture of the dtu-testing plugin)
    and what its manifest says, with a requests-based `control` for these tests."""

    server: DtuServer
    control: Control = field(init=False)

    def __post_init__(self) -> None:
        self.control = Control(self.control_url, self.admin_token)

    @property
    def manifest(self) -> dict[str, Any]:
        return self.server.manifest

    @property
    def process(self) -> subprocess.Popen | None:
        return self.server.process

    @property
    def workdir(self) -> Path | None:
        return self.server.workdir

    @property
    def stderr_path(self) -> Path | None:
        return self.server.stderr_path

    @property
    def stdout_path(self) -> Path | None:
        return self.server.stdout_path

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
        return self.server.stderr()


@pytest.fixture(scope="session")
def dtu_bin() -> str:
    """The plugin starts this binary: `$DTU_BIN`, else the workspace's debug build."""
    binary = dtu_binary()
    if not binary.is_file():
        pytest.fail(
            f"dtu binary not found at {binary}; run `cargo build` at the repo root "
            "or set DTU_BIN",
            pytrace=False,
        )
    return str(binary)


@pytest.fixture(scope="session")
def dtu(dtu_server: DtuServer) -> Iterator[Dtu]:
    """The session's server (started, checked and stopped by the dtu-testing plugin)."""
    server = Dtu(dtu_server)
    yield server
    server.control.close()


@pytest.fixture(scope="session")
def control(dtu: Dtu) -> Control:
    return dtu.control


@pytest.fixture
def universe(dtu_universe: Universe) -> dict[str, Any]:
    """A fresh universe (a fork of the plugin's base universe of the default fixture)
    as its manifest object; the plugin deletes it after the test."""
    return dtu_universe.manifest

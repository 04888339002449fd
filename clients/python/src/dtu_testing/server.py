"""A `dtu serve` for tests: started here (`--port-base 0`, free ports, its manifest
read once every port listens), or one already running (`DTU_URL`)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence

from .client import ControlPlane, DtuError, Universe

MANIFEST_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 5.0
PANIC_MARKER = "panicked at"


def find_binary(explicit: Optional[str] = None) -> str:
    """`explicit`, else `$DTU_BIN`, else `dtu` on PATH."""
    candidate = explicit or os.environ.get("DTU_BIN")
    if candidate:
        if not Path(candidate).is_file():
            raise DtuError(f"no dtu binary at {candidate} (DTU_BIN)")
        return candidate
    found = shutil.which("dtu")
    if not found:
        raise DtuError(
            "no dtu binary: set DTU_BIN to it, put `dtu` on PATH (cargo install --path . in the DTU "
            "repository), or set DTU_URL to a running `dtu serve` (with DTU_ADMIN_TOKEN)"
        )
    return found


def read_manifest(path: Path) -> Optional[Dict[str, Any]]:
    """The manifest, or None while it is not there (the server renames a complete file into place)."""
    try:
        return json.loads(path.read_text())
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def stop_process(proc: "subprocess.Popen[bytes]", timeout: float = STOP_TIMEOUT_S) -> tuple[int, bool]:
    """SIGTERM, then SIGKILL after `timeout`. Returns (status, was_killed)."""
    if proc.poll() is not None:
        return proc.returncode, False
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=timeout), False
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(), True


class DtuServer:
    """A running `dtu serve`: its manifest (the `default` universe plus `control_url`
    and `admin_token`) and its control plane. `start()` runs one; `connect()` uses one."""

    def __init__(
        self,
        manifest: Mapping[str, Any],
        control: ControlPlane,
        process: "Optional[subprocess.Popen[bytes]]" = None,
        workdir: Optional[Path] = None,
    ) -> None:
        self.manifest: Dict[str, Any] = dict(manifest)
        self.control = control
        self.process = process
        self.workdir = workdir

    @property
    def control_url(self) -> str:
        return self.control.control_url

    @property
    def admin_token(self) -> Optional[str]:
        return self.control.admin_token

    @property
    def stdout_path(self) -> Optional[Path]:
        return self.workdir / "stdout.log" if self.workdir else None

    @property
    def stderr_path(self) -> Optional[Path]:
        return self.workdir / "stderr.log" if self.workdir else None

    def stderr(self) -> str:
        path = self.stderr_path
        return path.read_text(errors="replace") if path and path.exists() else ""

    @classmethod
    def start(
        cls,
        binary: Optional[str] = None,
        args: Sequence[str] = (),
        env: Optional[Mapping[str, str]] = None,
        workdir: Optional[Path] = None,
        timeout: float = MANIFEST_TIMEOUT_S,
    ) -> "DtuServer":
        """Runs `dtu serve --port-base 0 --manifest <workdir>/manifest.json [args]` and
        waits for its manifest. Output goes to `<workdir>/stdout.log` and `stderr.log`."""
        exe = find_binary(binary)
        workdir = Path(workdir) if workdir else Path(tempfile.mkdtemp(prefix="dtu-"))
        workdir.mkdir(parents=True, exist_ok=True)
        manifest_path = workdir / "manifest.json"
        full_env = dict(os.environ)
        full_env.setdefault("RUST_BACKTRACE", "1")
        full_env.update(env or {})
        with open(workdir / "stdout.log", "wb") as out, open(workdir / "stderr.log", "wb") as err:
            proc = subprocess.Popen(
                [exe, "serve", "--port-base", "0", "--manifest", str(manifest_path), *args],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=err,
                env=full_env,
                cwd=workdir,
            )
        manifest = None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            manifest = read_manifest(manifest_path)
            if manifest is not None or proc.poll() is not None:
                break
            time.sleep(0.05)
        if manifest is None:
            exited = proc.poll()
            stop_process(proc)
            why = (
                f"exited with status {exited} before writing its manifest"
                if exited is not None
                else f"wrote no manifest within {timeout:.0f} s"
            )
            stderr = (workdir / "stderr.log").read_text(errors="replace")[-8000:]
            raise DtuError(f"dtu serve {why}.\n--- stderr ({workdir / 'stderr.log'}) ---\n{stderr}")
        control = ControlPlane(manifest["control_url"], manifest.get("admin_token"))
        return cls(manifest, control, proc, workdir)

    @classmethod
    def connect(cls, url: str, admin_token: Optional[str] = None) -> "DtuServer":
        """A running server: `url` is its control port (`http://127.0.0.1:8700`) or
        control URL (`…/_dtu/`)."""
        base = url.rstrip("/")
        control_url = base + "/" if base.endswith("/_dtu") else base + "/_dtu/"
        control = ControlPlane(control_url, admin_token)
        control.health()
        try:
            manifest = control.get_universe("default")
        except DtuError as e:
            if e.status == 404:  # `default` may have been deleted; the server is fine.
                manifest = {"id": "default", "control_url": control_url}
            else:
                raise
        manifest.setdefault("control_url", control_url)
        return cls(manifest, control)

    @classmethod
    def from_environment(cls, binary: Optional[str] = None, args: Sequence[str] = ()) -> "DtuServer":
        """`DTU_URL` (+ `DTU_ADMIN_TOKEN`) when set, else a server started here."""
        url = os.environ.get("DTU_URL")
        if url:
            return cls.connect(url, os.environ.get("DTU_ADMIN_TOKEN"))
        return cls.start(binary, args)

    def stop(self) -> List[str]:
        """Stops a server started here (a connected one is left running); returns what
        went wrong: did not exit on SIGTERM, a non-zero status, a panic."""
        if self.process is None:
            return []
        status, killed = stop_process(self.process)
        problems = []
        if killed:
            problems.append(f"did not exit within {STOP_TIMEOUT_S:.0f} s of SIGTERM (killed)")
        elif status != 0:
            problems.append(f"exited with status {status}")
        if PANIC_MARKER in self.stderr():
            problems.append("panicked")
        return problems

    def __enter__(self) -> "DtuServer":
        return self

    def __exit__(self, *exc: Any) -> None:
        problems = self.stop()
        if problems and exc[0] is None:
            raise DtuError("dtu serve " + " and ".join(problems) + "\n" + self.stderr()[-8000:])

    # Universes.

    def new_universe(self, fixture: Any = None, id: Optional[str] = None, seed: Optional[int] = None) -> Universe:
        """A universe made from a fixture (`default` when None); delete it when done."""
        return Universe(self.control, self.control.create_universe(fixture=fixture, id=id, seed=seed))

    def fork(self, universe_id: str, snapshot: Optional[str] = None) -> Universe:
        """A fork (O(1)) of a universe, at `snapshot` when given; delete it when done."""
        return Universe(self.control, self.control.create_universe(fork_of=universe_id, snapshot=snapshot))

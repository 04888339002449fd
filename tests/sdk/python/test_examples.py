"""The README's quickstarts (examples/python/*.py) run unchanged against dtu serve."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT

EXAMPLES = sorted((REPO_ROOT / "examples" / "python").glob("*_quickstart.py"))


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_quickstart_runs(dtu, script: Path) -> None:
    env = dict(os.environ, DTU_CONTROL_URL=dtu.control_url, DTU_ADMIN_TOKEN=dtu.admin_token)
    done = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "connected to" in done.stdout, done.stdout
    assert "as on " in done.stdout, done.stdout


def test_there_are_quickstarts() -> None:
    assert EXAMPLES, "examples/python has no *_quickstart.py"

"""Lets an agent run as a plain command (`examples/agents/gold.py`): when the Python that
started it lacks the official SDKs, re-run it under the repository's .venv, where
`scripts/test` installs the pinned ones."""

import importlib.util
import os
import sys
from pathlib import Path

_VENV = Path(__file__).resolve().parents[2] / ".venv"
if importlib.util.find_spec("slack_sdk") is None and Path(sys.prefix).resolve() != _VENV.resolve():
    python = _VENV / "bin" / "python"
    if python.exists():
        os.execv(str(python), [str(python), *sys.argv])

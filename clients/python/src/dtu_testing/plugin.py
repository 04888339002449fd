"""The pytest plugin (entry point `pytest11`: loaded once `dtu-testing` is installed).

Fixtures:

- `dtu_server` (session): a `dtu serve` started once for the session (`$DTU_BIN`, else
  `dtu` on PATH; `--port-base 0`), or the running one at `$DTU_URL` (with
  `$DTU_ADMIN_TOKEN`). A started server is stopped at the end; a panic or an unclean
  exit fails the session.
- `dtu_universe`: a fresh universe for one test: an O(1) fork of a base universe made
  once per session from `dtu_fixture`, deleted after the test. Typed settings
  (`.slack.bot_token`, `.okta.org_url`, …) and helpers (`snapshot`, `diff`, `journal`,
  `set_clock`/`advance_clock`/`freeze_clock`, `add_chaos`).
- `dtu_universes`: a factory for more (`dtu_universes.new(fixture=...)`,
  `dtu_universes.fork(u, snapshot=...)`), all deleted after the test.

Override `dtu_bin`, `dtu_serve_args` or `dtu_fixture` (session fixtures) in a
conftest.py to choose the binary, add `dtu serve` options or seed another fixture.
"""

from __future__ import annotations

import os
from typing import Any, Iterator, List, Optional, Sequence

import pytest

from .client import Universe
from .server import DtuServer


@pytest.fixture(scope="session")
def dtu_bin() -> Optional[str]:
    """The `dtu` binary to start (None: `$DTU_BIN`, else `dtu` on PATH)."""
    return None


@pytest.fixture(scope="session")
def dtu_serve_args() -> Sequence[str]:
    """Extra `dtu serve` options, e.g. `["--realistic-limits"]`."""
    return []


@pytest.fixture(scope="session")
def dtu_fixture() -> Any:
    """The fixture each test's universe starts from: None (`default`), a name
    (`large`, a file stem of `--fixtures-dir`) or an inline fixture object."""
    return None


@pytest.fixture(scope="session")
def dtu_server(dtu_bin: Optional[str], dtu_serve_args: Sequence[str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[DtuServer]:
    if os.environ.get("DTU_URL"):
        try:
            connected = DtuServer.connect(os.environ["DTU_URL"], os.environ.get("DTU_ADMIN_TOKEN"))
        except Exception as e:  # DtuError: unreachable, or the admin token refused
            pytest.fail(f"DTU_URL={os.environ['DTU_URL']}: {e}", pytrace=False)
        yield connected
        return
    try:
        server = DtuServer.start(dtu_bin, dtu_serve_args, workdir=tmp_path_factory.mktemp("dtu"))
    except Exception as e:  # DtuError: no binary, no manifest
        pytest.fail(str(e), pytrace=False)
    try:
        yield server
    finally:
        problems = server.stop()
        if problems:
            pytest.fail(
                "dtu serve " + " and ".join(problems)
                + f".\n--- stderr ({server.stderr_path}) ---\n" + server.stderr()[-8000:],
                pytrace=False,
            )


@pytest.fixture(scope="session")
def dtu_base_universe(dtu_server: DtuServer, dtu_fixture: Any) -> Iterator[Universe]:
    """The universe every test's universe is forked from (made once; never hand it to a
    test that writes: fork it)."""
    base = dtu_server.new_universe(fixture=dtu_fixture)
    yield base
    base.delete()


@pytest.fixture
def dtu_universe(dtu_server: DtuServer, dtu_base_universe: Universe) -> Iterator[Universe]:
    """A universe of this test's own: a fork of the session's base universe, deleted after."""
    universe = dtu_base_universe.fork()
    yield universe
    universe.delete()


class UniverseFactory:
    """Makes universes for one test and deletes them after it."""

    def __init__(self, server: DtuServer, base: Universe) -> None:
        self.server = server
        self.base = base
        self.made: List[Universe] = []

    def new(self, fixture: Any = None, id: Optional[str] = None, seed: Optional[int] = None) -> Universe:
        """A universe freshly made from a fixture (slower than a fork; a name or an inline object)."""
        u = self.server.new_universe(fixture=fixture, id=id, seed=seed)
        self.made.append(u)
        return u

    def fork(self, of: Optional[Universe] = None, snapshot: Optional[str] = None) -> Universe:
        """A fork (O(1)) of `of` (default: the session's base), at `snapshot` when given."""
        u = (of or self.base).fork(snapshot=snapshot)
        self.made.append(u)
        return u

    def close(self) -> None:
        for u in reversed(self.made):
            u.delete()
        self.made.clear()


@pytest.fixture
def dtu_universes(dtu_server: DtuServer, dtu_base_universe: Universe) -> Iterator[UniverseFactory]:
    factory = UniverseFactory(dtu_server, dtu_base_universe)
    yield factory
    factory.close()

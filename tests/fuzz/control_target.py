"""The control plane, fuzzed from openapi/dtu-control.yaml with the admin token.

Cases name scratch universes (created here, with a snapshot called `snap`) most of
the time, so they reach past "unknown universe"; a scratch universe a case deletes
is made again before the next case. The universes the other targets fuzz are never
named. Global chaos rules a case adds are deleted at the end, so no chaos rule is
installed while the twins are fuzzed.
"""

from __future__ import annotations

import random
import time
from typing import Any

from common import REPO_ROOT, HANG_S, Server, Tally, session
import openapi_fuzz

SCRATCH = ["fz-a", "fz-b", "fz-c"]
SNAPSHOT = "snap"


def _scratch(server: Server, uid: str) -> None:
    server.control.delete(server.url(f"universes/{uid}"), timeout=HANG_S)
    server.create_universe(id=uid)
    server.control.post(server.url(f"universes/{uid}/snapshots"), json={"name": SNAPSHOT}, timeout=HANG_S)


def run(server: Server, seed: int, positive: int, negative: int, budget_s: float) -> Tally:
    tally = Tally("control")
    started = time.monotonic()
    before = {u["id"] for u in server.control.get(server.url("universes"), timeout=HANG_S).json()["universes"]}
    for uid in SCRATCH:
        _scratch(server, uid)
    schema = openapi_fuzz.load(REPO_ROOT / "openapi" / "dtu-control.yaml")
    ops = openapi_fuzz.operations(schema)

    def mapper(case: Any, rnd: random.Random) -> None:
        params = case.path_parameters or {}
        if "u" in params and rnd.random() < 0.85:
            params["u"] = rnd.choice(SCRATCH)
        if "name" in params and rnd.random() < 0.5:
            params["name"] = SNAPSHOT
        case.path_parameters = params

    def after(case: Any, status: int | None) -> None:
        params = case.path_parameters or {}
        # Put back a scratch universe the case deleted (or emptied of its snapshot).
        if case.method.upper() == "DELETE" and params.get("u") in SCRATCH and status == 204:
            if case.operation.path == "/universes/{u}":
                _scratch(server, params["u"])

    base = server.control_url.rstrip("/")
    base = base[: -len("/_dtu")] if base.endswith("/_dtu") else base
    # The document's paths are relative to its server (`/_dtu`).
    schema_base = base + "/_dtu"
    http = session(server.admin_headers)
    openapi_fuzz.fuzz_operations(
        ops=ops,
        base_url=schema_base,
        http=http,
        tally=tally,
        seed=seed,
        positive=positive,
        negative=negative,
        deadline=started + budget_s,
        mapper=mapper,
        after=after,
        alive=server.alive,
    )
    # Leave nothing behind that could change what the twins answer: no global chaos
    # rule, no universe the fuzz created.
    server.control.delete(server.url("chaos/rules"), timeout=HANG_S)
    rules = server.control.get(server.url("chaos/rules"), timeout=HANG_S).json().get("rules", [])
    if rules:
        tally.fail(f"{len(rules)} global chaos rules left after DELETE chaos/rules")
    for u in server.control.get(server.url("universes"), timeout=HANG_S).json()["universes"]:
        if u["id"] not in before:
            server.delete_universe(u["id"])
    tally.seconds = time.monotonic() - started
    return tally

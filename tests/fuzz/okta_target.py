"""The Okta twin, fuzzed from Okta's own management OpenAPI document
(`shared/vendor/okta/management.yaml`, every operation, implemented or not) with the
universe's API token (`SSWS <token>`).

Path parameters point at users, groups and apps that exist most of the time (never
the admin whose token the fuzz uses). A case may still lock the fuzz out (revoke the
token, deactivate the admin by other means): the token is checked every few dozen
cases and a fresh universe replaces a spoiled one, noted in the figures.
"""

from __future__ import annotations

import random
import time
from typing import Any

from common import HANG_S, Server, Tally, session, shared_dir
import openapi_fuzz

CHECK_EVERY = 40


class Org:
    def __init__(self, server: Server) -> None:
        self.server = server
        self.replaced = 0
        self.fresh()

    def fresh(self) -> None:
        universe = self.server.create_universe()
        self.uid = universe["id"]
        okta = universe["okta"]
        self.base = okta["org_url"].rstrip("/")
        self.admin = okta.get("admin_user_id")
        self.http = session({"Authorization": f"SSWS {okta['api_token']}", "Accept": "application/json"})
        self.ids: dict[str, list[str]] = {"userId": [], "groupId": [], "appId": [], "authServerId": ["default"]}
        for key, path in (("userId", "users"), ("groupId", "groups"), ("appId", "apps")):
            r = self.http.get(f"{self.base}/api/v1/{path}?limit=200", timeout=HANG_S)
            if r.status_code == 200:
                self.ids[key] += [x["id"] for x in r.json() if x.get("id") and x["id"] != self.admin]

    def usable(self) -> bool:
        r = self.http.get(f"{self.base}/api/v1/users/me", timeout=HANG_S)
        return r.status_code == 200


def run(server: Server, seed: int, positive: int, negative: int, budget_s: float, rounds: int = 1) -> Tally:
    tally = Tally("okta")
    started = time.monotonic()
    spec = shared_dir() / "vendor" / "okta" / "management.yaml"
    if not spec.is_file():
        tally.fail(f"Okta's OpenAPI document is missing: {spec}")
        return tally
    ops = openapi_fuzz.operations(openapi_fuzz.load(spec))
    org = Org(server)
    sent = [0]

    def mapper(case: Any, rnd: random.Random) -> None:
        params = case.path_parameters or {}
        for name in list(params):
            pool = org.ids.get(name)
            if pool and rnd.random() < 0.7:
                params[name] = rnd.choice(pool)
        case.path_parameters = params

    def after(case: Any, status: int | None) -> None:
        sent[0] += 1
        if sent[0] % CHECK_EVERY == 0 and not org.usable():
            server.delete_universe(org.uid)
            org.fresh()
            org.replaced += 1
            http.headers.update(org.http.headers)

    http = org.http
    statuses: dict[str, set[int]] = {}

    def note(case: Any, status: int | None) -> None:
        statuses.setdefault(case.operation.label, set()).add(status or 0)
        after(case, status)

    deadline = started + budget_s
    # A first pass sends one case to every operation; the operations the twin answers
    # with anything but 404 (those it implements) then get the rest of the cases.
    openapi_fuzz.fuzz_operations(
        ops=ops, base_url=org.base, http=http, tally=tally, seed=seed, positive=1, negative=0,
        deadline=deadline, mapper=mapper, after=note, alive=server.alive,
    )
    served = [op for op in ops if statuses.get(op.label, {404}) != {404}]
    tally.notes.insert(0, f"{len(served)} of {len(ops)} operations answered something other than 404")
    # Hypothesis stops early on operations with few distinct inputs: more rounds, each
    # from its own seed, reach further.
    for round_ in range(rounds):
        openapi_fuzz.fuzz_operations(
            ops=served, base_url=org.base, http=http, tally=tally, seed=seed + 1 + round_, positive=positive,
            negative=negative, deadline=deadline, mapper=mapper, after=after, alive=server.alive,
        )
    if org.replaced:
        tally.notes.append(f"a case spoiled the API token or its admin {org.replaced} time(s); a fresh org took over")
    server.delete_universe(org.uid)
    tally.seconds = time.monotonic() - started
    return tally

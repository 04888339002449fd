"""Property-based fuzzing of an HTTP API from its OpenAPI document with schemathesis:
every operation, positive cases (valid by the schema) and negative ones (invalid on
purpose), a fixed number each, drawn from a seed derived from the run's seed and the
operation, so a run is reproducible operation by operation.
"""

from __future__ import annotations

import random
import time
import zlib
from pathlib import Path
from typing import Any, Callable

import hypothesis
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from common import HANG_S, Tally, timed

# Called with each drawn case and a seeded Random before it is sent: points path
# parameters at things that exist, so cases reach past "not found".
Mapper = Callable[[Any, random.Random], None]
# Called after each answer (case, status): lets a target repair what a case destroyed.
After = Callable[[Any, int | None], None]


def load(path: Path) -> Any:
    return schemathesis.openapi.from_path(str(path))


def operations(schema: Any) -> list[Any]:
    ops = []
    for result in schema.get_all_operations():
        try:
            ops.append(result.ok())
        except Exception:  # an operation schemathesis cannot build; nothing to send
            continue
    return ops


def fuzz_operations(
    *,
    ops: list[Any],
    base_url: str,
    http: requests.Session,
    tally: Tally,
    seed: int,
    positive: int,
    negative: int,
    deadline: float,
    mapper: Mapper | None = None,
    after: After | None = None,
    alive: Callable[[], bool] = lambda: True,
) -> None:
    """Sends `positive` + `negative` drawn cases per operation, until `deadline`
    (time.monotonic()); notes in the tally when the deadline cut the run short."""
    for index, op in enumerate(ops):
        # Negative cases only where there is a body or query to get wrong: for path
        # parameters alone, hypothesis rejects nearly every draw (slow, and "not found"
        # is all such a case can reach).
        has_input = len(op.body) > 0 or len(op.query) > 0
        for mode, count in ((GenerationMode.POSITIVE, positive), (GenerationMode.NEGATIVE, negative)):
            if count <= 0 or (mode == GenerationMode.NEGATIVE and not has_input):
                continue
            if time.monotonic() > deadline:
                tally.notes.append(f"time budget reached after {index} of {len(ops)} operations")
                return
            if not alive():
                return
            op_seed = seed ^ zlib.crc32(f"{op.label}:{mode.value}".encode())
            _fuzz_one(op, mode, count, op_seed, base_url, http, tally, deadline, mapper, after)


def _fuzz_one(
    op: Any,
    mode: GenerationMode,
    count: int,
    op_seed: int,
    base_url: str,
    http: requests.Session,
    tally: Tally,
    deadline: float,
    mapper: Mapper | None,
    after: After | None,
) -> None:
    try:
        strategy = op.as_strategy(generation_mode=mode)
    except Exception as e:  # the schema of this operation cannot be generated from
        tally.notes.append(f"{op.label} ({mode.value}): no strategy: {type(e).__name__}")
        return

    @hypothesis.seed(op_seed)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        derandomize=False,
        report_multiple_bugs=False,
    )
    @hypothesis.given(case=strategy, rnd=st.randoms(use_true_random=False))
    def send(case: Any, rnd: random.Random) -> None:
        if time.monotonic() > deadline:
            return
        if mapper is not None:
            mapper(case, rnd)
        try:
            kwargs = case.as_transport_kwargs(base_url=base_url)
        except Exception:  # a case that cannot become a request (unserialisable body)
            return
        kwargs.pop("session", None)
        headers = dict(http.headers)
        headers.update(kwargs.pop("headers", None) or {})
        # The credential always goes as given: a generated Authorization header would
        # only test the 401 path, over and over.
        if "Authorization" in http.headers:
            headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
            headers["Authorization"] = http.headers["Authorization"]
        kwargs["timeout"] = HANG_S

        def call() -> requests.Response:
            return http.request(headers=headers, **kwargs)

        try:
            status, elapsed = timed(call)
        except (requests.exceptions.InvalidHeader, requests.exceptions.InvalidURL, ValueError, UnicodeError):
            return  # the client refused to send it: nothing reached the server
        tally.record(status, f"{case.method} {kwargs.get('url')} ({mode.value}) body={str(case.body)[:200]}", elapsed)
        if after is not None:
            after(case, status)

    try:
        send()
    except hypothesis.errors.Unsatisfiable:
        tally.notes.append(f"{op.label} ({mode.value}): unsatisfiable")
    except Exception as e:  # generation trouble in schemathesis/hypothesis, not the server
        tally.notes.append(f"{op.label} ({mode.value}): {type(e).__name__}: {str(e)[:120]}")

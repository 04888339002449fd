"""twins/google/COVERAGE.md against Google's Drive v3 discovery document (as the
pinned client installs it) and against the discovery document the twin serves:
every method of Google's document has a row, rows marked served are served, and
rows marked missing are not."""

from __future__ import annotations

import re

import requests

from conftest import REPO_ROOT
from google_helpers import google_doc

ROW = re.compile(r"^\| `([\w.]+)` \| (\w+) `([^`]+)` \| (implemented|partial|missing) \|")


def table() -> dict[str, tuple[str, str, str]]:
    text = (REPO_ROOT / "twins" / "google" / "COVERAGE.md").read_text()
    rows = {}
    for line in text.splitlines():
        m = ROW.match(line)
        if m:
            rows[m.group(1)] = (m.group(2), m.group(3), m.group(4))
    return rows


def methods(doc) -> dict[str, dict]:
    out = {}

    def walk(resources):
        for res in resources.values():
            for m in res.get("methods", {}).values():
                out[m["id"]] = m
            walk(res.get("resources", {}))

    walk(doc["resources"])
    return out


def test_every_google_method_has_its_row():
    rows, google = table(), methods(google_doc())
    assert set(rows) == set(google)
    for mid, (http, path, _) in rows.items():
        assert (http, path) == (google[mid]["httpMethod"], google[mid]["path"]), mid


def test_rows_agree_with_what_the_twin_serves(universe):
    served = methods(requests.get(universe["google"]["discovery_urls"]["drive"]).json())
    for mid, (_, _, status) in table().items():
        assert (status != "missing") == (mid in served), mid
    text = (REPO_ROOT / "twins" / "google" / "COVERAGE.md").read_text()
    counts = re.search(r"\*\*(\d+) implemented, (\d+) partial, (\d+) missing\*\* of (\d+) methods", text)
    statuses = [s for _, _, s in table().values()]
    assert [int(x) for x in counts.groups()] == [
        statuses.count("implemented"), statuses.count("partial"), statuses.count("missing"), len(statuses)
    ]

"""Shared helpers of the Google Drive suites: clients built the way users build
them, pointed at the twin by its discovery URL."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import googleapiclient
from google.oauth2.credentials import Credentials
from googleapiclient.discovery import build
from googleapiclient.errors import HttpError

GOOGLE_DOCS = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"


def google_doc(name: str = "drive.v3.json") -> dict[str, Any]:
    """Google's own discovery document, as the installed client ships it."""
    return json.loads((GOOGLE_DOCS / name).read_text())


def token_of(universe: dict, email: str | None = None) -> str:
    g = universe["google"]
    return g["access_tokens"][email] if email else g["access_token"]


def drive(universe: dict, email: str | None = None, **kwargs: Any):
    """A Drive v3 client for a person (default: the manifest's user), from the twin's discovery."""
    creds = kwargs.pop("credentials", None) or Credentials(token=token_of(universe, email))
    return build(
        "drive",
        "v3",
        credentials=creds,
        discoveryServiceUrl=universe["google"]["discovery_urls"]["drive"],
        cache_discovery=False,
        **kwargs,
    )


def http_error(excinfo, status: int, reason: str | None = None) -> dict:
    """Checks an HttpError's status and first reason; returns the error body."""
    err = excinfo.value
    assert isinstance(err, HttpError), type(err)
    assert err.status_code == status, (err.status_code, err.content)
    body = json.loads(err.content)["error"]
    assert body["code"] == status
    assert body["message"] == body["errors"][0]["message"]
    if reason is not None:
        assert body["errors"][0]["reason"] == reason, body
    return body


def list_all(request_fn, collection: str = "files", **params: Any) -> list[dict]:
    """Every item of a list method, page by page with list_next."""
    service, method = request_fn
    req = getattr(service, method)(**params)
    items: list[dict] = []
    pages = 0
    while req is not None:
        resp = req.execute()
        items.extend(resp.get(collection, []))
        req = getattr(service, method + "_next")(req, resp)
        pages += 1
        assert pages < 1000
    return items

"""Shared helpers for the Okta SDK conformance tests (no tests here).

The official `okta` SDK (3.x) refuses http org URLs unless
OKTA_TESTING_TESTINGDISABLEHTTPSCHECK is set; any non-empty value works.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import os
import struct
import time
from pathlib import Path
from typing import Any

import pytest
import requests
import yaml
from jsonschema import Draft4Validator

os.environ.setdefault("OKTA_TESTING_TESTINGDISABLEHTTPSCHECK", "true")

from okta.client import Client  # noqa: E402
from okta.errors.okta_api_error import OktaAPIError  # noqa: E402
from okta.pagination import paginate_all  # noqa: E402

__all__ = [
    "Client",
    "OktaAPIError",
    "SEEDED_PASSWORD",
    "paginate_all",
    "okta_client",
    "raw",
    "unwrap",
    "api_error",
    "void_error",
    "void_ok",
    "okta",
    "conforms",
    "totp",
]

# The password the fixture gives every person.
SEEDED_PASSWORD = "Tw1n-Passw0rd!"

# The vendor's Management API document, beside the checkout (../shared).
SPEC = Path(__file__).resolve().parents[4] / "shared" / "vendor" / "okta" / "management.yaml"


@functools.cache
def _components() -> dict[str, Any]:
    return yaml.safe_load(SPEC.read_text())["components"]


@functools.cache
def _validator(schema: str) -> Draft4Validator:
    return Draft4Validator({"$ref": f"#/components/schemas/{schema}", "components": _components()})


def conforms(body: Any, schema: str) -> None:
    """Asserts `body` validates against the vendor schema `schema` (e.g. "Session")."""
    errors = list(_validator(schema).iter_errors(body))
    assert not errors, f"{schema}: " + "; ".join(f"{list(e.path)}: {e.message[:200]}" for e in errors[:5])


def totp(secret: str, at: float | None = None) -> str:
    """The RFC 6238 code (HMAC-SHA1, 6 digits, 30 s) of a base32 secret."""
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    counter = int((at if at is not None else time.time()) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{code % 1_000_000:06d}"


def okta_client(universe: dict[str, Any], token: str | None = None, **extra: Any) -> Client:
    """An SDK client for the universe's Okta org (the manifest's API token)."""
    okta = universe["okta"]
    config = {"orgUrl": okta["org_url"], "token": token or okta["api_token"]}
    config.update(extra)
    return Client(config)


def raw(universe: dict[str, Any], method: str, path: str, **kwargs: Any) -> requests.Response:
    """A plain HTTP call to the org, with the API token (for headers the SDK hides)."""
    okta = universe["okta"]
    headers = kwargs.pop("headers", {})
    headers.setdefault("Authorization", f"SSWS {okta['api_token']}")
    session = requests.Session()
    session.trust_env = False
    try:
        return session.request(method, okta["org_url"] + path, headers=headers, timeout=10, **kwargs)
    finally:
        session.close()


def unwrap(result: tuple) -> Any:
    """The data of a successful (data, response, error) triple; fails on an error."""
    assert len(result) == 3, f"expected (data, resp, err), got {result!r}"
    data, _resp, err = result
    assert err is None, f"unexpected error: {err}"
    return data


def api_error(result: tuple, status: int, code: str) -> OktaAPIError:
    """The OktaAPIError of a failed call that returns data (a 3-tuple)."""
    assert len(result) == 3, f"expected (data, resp, err), got {result!r}"
    data, _resp, err = result
    assert data is None, f"expected no data, got {data!r}"
    assert isinstance(err, OktaAPIError), f"expected OktaAPIError, got {type(err)}: {err!r}"
    assert (err.status, err.error_code) == (status, code), err.message
    return err


def void_error(result: tuple, status: int, code: str) -> None:
    """A failed *void* call (suspend, unlock, …) returns a 2-tuple (response, error)
    in okta 3.x, where the error is an OktaAPIError or its dict form."""
    assert len(result) in (2, 3), result
    err = result[-1]
    assert err is not None, f"expected an error, got {result!r}"
    if isinstance(err, OktaAPIError):
        assert (err.status, err.error_code) == (status, code), err.message
    else:
        message = err["message"] if isinstance(err, dict) else str(err)
        assert f"Okta HTTP {status} {code}" in message, message


def void_ok(result: tuple) -> None:
    assert result[-1] is None, f"unexpected error: {result[-1]!r}"


@pytest.fixture
def okta(universe: dict[str, Any]) -> Client:
    return okta_client(universe)

"""The control plane (`/_dtu/`) over the standard library, and a universe's helpers.

`ControlPlane(control_url, admin_token)` sends the admin token as a bearer token and
never goes through a proxy (the twins are on loopback). Refusals raise `DtuError` with
the control plane's error code and message.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Mapping, Optional, Union

from .settings import UniverseSettings


class DtuError(Exception):
    """A control-plane refusal (4xx/5xx) or an unreachable server."""

    def __init__(self, message: str, status: Optional[int] = None, code: Optional[str] = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


@dataclass(frozen=True)
class Clock:
    now: str
    frozen: bool


class ControlPlane:
    """Thin client of `/_dtu/`: paths are relative to the control URL."""

    def __init__(self, control_url: str, admin_token: Optional[str] = None, timeout: float = 30.0) -> None:
        self.control_url = control_url if control_url.endswith("/") else control_url + "/"
        self.admin_token = admin_token
        self.timeout = timeout
        # No proxy: the twins listen on loopback (HTTP(S)_PROXY would send them away).
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        params: Optional[Mapping[str, Any]] = None,
        ok: Iterable[int] = (200, 201, 204),
    ) -> tuple[int, bytes]:
        """One call; returns (status, body bytes), or raises DtuError outside `ok`."""
        url = self.control_url + path.lstrip("/")
        query = {k: v for k, v in (params or {}).items() if v is not None}
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = None
        headers = {"Accept": "application/json"}
        if self.admin_token:
            headers["Authorization"] = f"Bearer {self.admin_token}"
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        req = urllib.request.Request(url, data=data, headers=headers, method=method)
        try:
            with self._opener.open(req, timeout=self.timeout) as resp:
                status, payload = resp.status, resp.read()
        except urllib.error.HTTPError as e:
            status, payload = e.code, e.read()
        except (urllib.error.URLError, OSError) as e:
            raise DtuError(f"{method} {url}: {e}") from e
        if status not in tuple(ok):
            code, message = None, payload.decode(errors="replace")
            try:
                err = json.loads(payload)["error"]
                code, message = err.get("code"), err.get("message", message)
            except (ValueError, KeyError, TypeError):
                pass
            hint = " (is DTU_ADMIN_TOKEN the server's admin token?)" if status == 401 else ""
            raise DtuError(f"{method} {path} -> {status} {code or ''}: {message}{hint}", status, code)
        return status, payload

    def json(self, method: str, path: str, body: Any = None, **kwargs: Any) -> Any:
        _, payload = self.request(method, path, body, **kwargs)
        return json.loads(payload) if payload else None

    # The universes.

    def health(self) -> Dict[str, Any]:
        return self.json("GET", "health")

    def create_universe(
        self,
        *,
        fixture: Union[str, Mapping[str, Any], None] = None,
        fork_of: Optional[str] = None,
        snapshot: Optional[str] = None,
        id: Optional[str] = None,
        seed: Optional[int] = None,
    ) -> Dict[str, Any]:
        """A new universe (its manifest object): from a fixture, or a fork (O(1)) of
        `fork_of` (at `snapshot` when given)."""
        body: Dict[str, Any] = {}
        if fixture is not None:
            body["fixture"] = fixture
        if fork_of is not None:
            body["from"] = fork_of
        if snapshot is not None:
            body["snapshot"] = snapshot
        if id is not None:
            body["id"] = id
        if seed is not None:
            body["seed"] = seed
        return self.json("POST", "universes", body)

    def get_universe(self, universe_id: str) -> Dict[str, Any]:
        return self.json("GET", f"universes/{_q(universe_id)}")

    def delete_universe(self, universe_id: str, missing_ok: bool = True) -> None:
        self.request("DELETE", f"universes/{_q(universe_id)}", ok=(204, 404) if missing_ok else (204,))

    def universe(self, manifest: Mapping[str, Any]) -> "Universe":
        return Universe(self, manifest)


class Universe:
    """One universe: its settings (`.slack`, `.okta`, `.jira`, `.google`, typed), the
    manifest as given (`.manifest`, and `universe["slack"]`), and its control plane:
    snapshots, diff, state, journal, clock and chaos rules."""

    def __init__(self, control: ControlPlane, manifest: Mapping[str, Any]) -> None:
        self.control = control
        self.manifest: Dict[str, Any] = dict(manifest)
        self.settings = UniverseSettings.from_manifest(manifest)

    def __repr__(self) -> str:
        return f"Universe({self.id!r})"

    def __getitem__(self, key: str) -> Any:
        return self.manifest[key]

    @property
    def id(self) -> str:
        return self.settings.id

    @property
    def slack(self):  # type: ignore[no-untyped-def]
        return self._need("slack")

    @property
    def okta(self):  # type: ignore[no-untyped-def]
        return self._need("okta")

    @property
    def jira(self):  # type: ignore[no-untyped-def]
        return self._need("jira")

    @property
    def google(self):  # type: ignore[no-untyped-def]
        return self._need("google")

    def _need(self, service: str) -> Any:
        value = getattr(self.settings, service)
        if value is None:
            raise DtuError(f"universe {self.id} has no {service} twin (the server serves {self.services()})")
        return value

    def services(self) -> List[str]:
        return [s for s in ("slack", "okta", "jira", "google") if getattr(self.settings, s) is not None]

    def _path(self, rest: str = "") -> str:
        return f"universes/{_q(self.id)}" + (f"/{rest}" if rest else "")

    # Lifecycle.

    def fork(self, snapshot: Optional[str] = None, id: Optional[str] = None) -> "Universe":
        """A copy (O(1)) of this universe, now or at `snapshot`; delete it when done."""
        return Universe(self.control, self.control.create_universe(fork_of=self.id, snapshot=snapshot, id=id))

    def reset(self) -> None:
        """Back to creation: state, ids and clock; the journal emptied; chaos rules kept."""
        self.control.json("POST", self._path("reset"))

    def delete(self) -> None:
        self.control.delete_universe(self.id)

    # State.

    def snapshot(self, name: str) -> Dict[str, Any]:
        return self.control.json("POST", self._path("snapshots"), {"name": name})

    def snapshots(self) -> List[Dict[str, Any]]:
        return self.control.json("GET", self._path("snapshots"))["snapshots"]

    def restore(self, name: str) -> None:
        self.control.json("POST", self._path(f"snapshots/{_q(name)}/restore"))

    def diff(self, since: str = "initial") -> Dict[str, Any]:
        """What changed since a snapshot (`initial`: since the universe was made), by
        service and collection: `{"slack": {"messages": {"created": [...], ...}}}`."""
        return self.control.json("GET", self._path("diff"), params={"since": since})["services"]

    def changes(self, since: str = "initial") -> List[str]:
        """The diff as lines: `slack.messages created M0001`."""
        out = []
        for service, collections in self.diff(since).items():
            for collection, kinds in collections.items():
                for kind in ("created", "updated", "deleted"):
                    for item in kinds.get(kind, []):
                        out.append(f"{service}.{collection} {kind} {item['id']}")
        return out

    def state(self, service: Optional[str] = None) -> Dict[str, Any]:
        return self.control.json("GET", self._path("state"), params={"service": service})

    def export(self) -> Dict[str, Any]:
        return self.control.json("GET", self._path("export"))

    # The journal.

    def journal(
        self,
        service: Optional[str] = None,
        operation: Optional[str] = None,
        since: Optional[str] = None,
        after_seq: Optional[int] = None,
        limit: Optional[int] = None,
        response_bodies: bool = True,
    ) -> List[Dict[str, Any]]:
        """Every request the twins recorded in this universe, oldest first, each with
        its answer's body as `response` (unless `response_bodies=False`)."""
        params = {"service": service, "operation": operation, "since": since, "after_seq": after_seq, "limit": limit,
                  "response_bodies": None if response_bodies else "false"}
        _, payload = self.control.request("GET", self._path("journal"), params=params)
        return [json.loads(line) for line in payload.decode().splitlines() if line.strip()]

    def operations(self, service: Optional[str] = None) -> List[str]:
        """The journal's operation names, in order (`chat.postMessage`, …)."""
        return [e["operation"] for e in self.journal(service=service, response_bodies=False)]

    # The clock.

    def clock(self) -> Clock:
        c = self.control.json("GET", self._path("clock"))
        return Clock(now=c["now"], frozen=c["frozen"])

    def set_clock(self, now: Optional[str] = None, frozen: Optional[bool] = None) -> Clock:
        """Set the time (RFC 3339) and/or freeze or thaw it; what is left out is kept."""
        body: Dict[str, Any] = {}
        if now is not None:
            body["now"] = now
        if frozen is not None:
            body["frozen"] = frozen
        c = self.control.json("PUT", self._path("clock"), body)
        return Clock(now=c["now"], frozen=c["frozen"])

    def freeze_clock(self, now: Optional[str] = None) -> Clock:
        return self.set_clock(now=now, frozen=True)

    def thaw_clock(self) -> Clock:
        return self.set_clock(frozen=False)

    def advance_clock(self, seconds: float) -> Clock:
        c = self.control.json("POST", self._path("clock/advance"), {"seconds": seconds})
        return Clock(now=c["now"], frozen=c["frozen"])

    # Chaos.

    def add_chaos(
        self,
        rule: Optional[Mapping[str, Any]] = None,
        *,
        match: Optional[Mapping[str, Any]] = None,
        trigger: Optional[Mapping[str, Any]] = None,
        action: Optional[Mapping[str, Any]] = None,
        limits: Optional[Mapping[str, Any]] = None,
    ) -> Dict[str, Any]:
        """Installs a chaos rule in this universe (a whole rule, or its parts); returns
        it with its id. E.g. `add_chaos(match={"service": "slack", "operation":
        "chat.postMessage"}, trigger={"first_n": 1}, action={"kind": "rate_limit",
        "retry_after_s": 1})`."""
        body = dict(rule or {})
        for key, value in (("match", match), ("trigger", trigger), ("action", action), ("limits", limits)):
            if value is not None:
                body[key] = dict(value)
        return self.control.json("POST", self._path("chaos/rules"), body)

    def chaos_rules(self) -> List[Dict[str, Any]]:
        """This universe's rules with their hit counts."""
        answer = self.control.json("GET", self._path("chaos/rules"))
        return answer["rules"] if isinstance(answer, dict) else answer

    def remove_chaos(self, rule_id: Optional[str] = None) -> None:
        """Removes one rule, or every rule of this universe when no id is given."""
        path = self._path("chaos/rules" + (f"/{_q(rule_id)}" if rule_id else ""))
        self.control.request("DELETE", path)


def _q(segment: str) -> str:
    return urllib.parse.quote(segment, safe="")

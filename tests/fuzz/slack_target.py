"""Every Slack Web API method, from the vendor's per-method specs
(`shared/vendor/slack/methods/*.json`, arguments as JSON Schema), implemented in the
twin or not, with a seeded generator of our own:

- arguments of the declared type and of wrong ones, huge and unicode strings (NUL,
  RTL marks, astral planes, lone surrogates as escapes), numbers out of range, bad
  JSON where JSON is expected, real channel/user ids and message ts where the spec
  names one, missing required arguments;
- the token in the header, in the body, a wrong one, another universe's, none;
- form, JSON, query-string, multipart and raw bodies, with odd and wrong charsets and
  invalid UTF-8;
- a few oversized bodies per run: over the core's cap (announced, and sent chunked),
  and large ones under it.

Every answer must come within HANG_S and never be 5xx. Answers that are not in
Slack's dialect (JSON with `ok`) are counted in the notes.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path
from typing import Any

import requests

from common import HANG_S, Server, Tally, session, shared_dir

UNICODE = [
    "héllo wörld",
    "日本語のテキスト",
    "مرحبا بالعالم",
    "\u202eevil\u202c",
    "zero\u200bwidth",
    "emoji 🎉🔥👩‍👩‍👧‍👦",
    "nul\x00byte",
    "\ud83d",  # a lone surrogate: not encodable as UTF-8; sent as a JSON escape or dropped
    "𝕬𝖑𝖕𝖍𝖆",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00%ff%fe",
    "\r\nX-Injected: 1",
    "<@U000000> <#C000000> <!channel>",
]


class Workspace:
    """A universe of our own and ids that exist in it."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.replaced = 0
        self.fresh()

    def fresh(self) -> None:
        universe = self.server.create_universe()
        self.uid = universe["id"]
        slack = universe["slack"]
        self.base = slack["base_url"].rstrip("/") + "/"
        self.tokens = {"bot": slack["bot_token"], "user": slack["user_token"], "app": slack["app_token"]}
        http = session({"Authorization": f"Bearer {self.tokens['bot']}"})
        self.channels: list[str] = []
        self.users: list[str] = []
        self.ts: list[str] = []
        r = http.post(self.base + "conversations.list", data={"types": "public_channel,private_channel"}, timeout=HANG_S)
        self.channels = [c["id"] for c in r.json().get("channels", [])]
        r = http.post(self.base + "users.list", timeout=HANG_S)
        self.users = [u["id"] for u in r.json().get("members", [])]
        for channel in self.channels[:3]:
            http.post(self.base + "conversations.join", data={"channel": channel}, timeout=HANG_S)
            r = http.post(self.base + "chat.postMessage", data={"channel": channel, "text": "fuzz seed"}, timeout=HANG_S)
            if r.json().get("ts"):
                self.ts.append(r.json()["ts"])


def load_methods(directory: Path) -> list[tuple[str, dict[str, Any]]]:
    methods = []
    for path in sorted(directory.glob("*.json")):
        spec = json.loads(path.read_text())
        if isinstance(spec, dict):  # methods.json is the index, not a method
            methods.append((path.stem, spec))
    return methods


def properties(spec: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    args = spec.get("args")
    if not isinstance(args, dict):
        return {}, []
    props = args.get("properties") if isinstance(args.get("properties"), dict) else {}
    required = args.get("required") if isinstance(args.get("required"), list) else []
    return props, [r for r in required if isinstance(r, str)]


def types_of(prop: dict[str, Any]) -> list[str]:
    t = prop.get("type")
    if isinstance(t, str):
        return [t]
    if isinstance(t, list):
        return [x for x in t if isinstance(x, str)]
    out = []
    for alt in prop.get("anyOf", []) or prop.get("oneOf", []):
        if isinstance(alt, dict) and isinstance(alt.get("type"), str):
            out.append(alt["type"])
    return out or ["string"]


class Generator:
    def __init__(self, rnd: random.Random, ws: Workspace) -> None:
        self.rnd = rnd
        self.ws = ws

    def huge(self) -> str:
        return self.rnd.choice(["x", "é", "🎉", "a\n"]) * self.rnd.choice([4_096, 40_000, 200_000])

    def wrong(self) -> Any:
        return self.rnd.choice(
            [
                "",
                " ",
                "null",
                "true",
                "-1",
                "1e309",
                "9" * 40,
                "NaN",
                "[]",
                "{}",
                '{"a":',
                "[" * 500 + "]" * 500,
                self.huge(),
                self.rnd.choice(UNICODE),
                12,
                -9223372036854775809,
                3.5,
                True,
                None,
                [1, "two", None],
                {"nested": {"deep": [{}]}},
            ]
        )

    def value(self, name: str, prop: dict[str, Any]) -> Any:
        r = self.rnd.random()
        if r < 0.25:
            return self.wrong()
        kind = (prop.get("subtype") or prop.get("schema") or "").lower() + " " + name.lower()
        if "channel" in kind and self.ws.channels and self.rnd.random() < 0.7:
            return self.rnd.choice(self.ws.channels)
        if "user" in kind and self.ws.users and self.rnd.random() < 0.7:
            return self.rnd.choice(self.ws.users)
        if name in ("ts", "thread_ts", "latest", "oldest", "timestamp") and self.ws.ts and self.rnd.random() < 0.7:
            return self.rnd.choice(self.ws.ts)
        if "example" in prop and self.rnd.random() < 0.3:
            return prop["example"]
        t = self.rnd.choice(types_of(prop))
        if t == "integer" or t == "number":
            return self.rnd.choice([0, 1, 2, 100, 999, 1000, 1001, -5, 2**31, 2**63, "12", "1.5", "abc"])
        if t == "boolean":
            return self.rnd.choice([True, False, "true", "false", "1", "0", "yes", "maybe"])
        if t == "array":
            return self.rnd.choice([[], ["a", "b"], json.dumps(["a", {"b": 1}]), "a,b,c", [{"type": "x"}] * 3])
        if t == "object":
            return self.rnd.choice([{}, {"type": "section"}, json.dumps({"k": "v"}), "{not json"])
        if t == "null":
            return None
        return self.rnd.choice([self.rnd.choice(UNICODE), "fuzz", "C" + "0" * 8, self.huge(), "#general", "<@U1>"])

    def args(self, props: dict[str, Any], required: list[str]) -> dict[str, Any]:
        out = {}
        for name, prop in props.items():
            if name == "token" or not isinstance(prop, dict):
                continue
            p = 0.85 if name in required else 0.45
            if self.rnd.random() < p:
                out[name] = self.value(name, prop)
        if self.rnd.random() < 0.1:
            out[self.rnd.choice(UNICODE[:6])] = self.wrong()  # an argument no method has
        return out


def form_value(v: Any) -> str:
    if isinstance(v, str):
        return v
    return json.dumps(v)


def encode(rnd: random.Random, args: dict[str, Any], token: str | None) -> tuple[str, dict[str, str], Any, str | None]:
    """(method, headers, body, query) for one request."""
    headers: dict[str, str] = {}
    in_body = token is not None and rnd.random() < 0.15
    if token is not None and not in_body:
        headers["Authorization"] = f"Bearer {token}"
    if in_body:
        args = dict(args, token=token)
    how = rnd.random()
    if how < 0.35:
        charset = rnd.choice(["", "; charset=utf-8", "; charset=latin-1", "; charset=utf-16", "; charset=bogus"])
        headers["Content-Type"] = "application/x-www-form-urlencoded" + charset
        pairs = [(k, form_value(v)) for k, v in args.items()]
        body: Any = "&".join(
            requests.utils.quote(k, safe="") + "=" + requests.utils.quote(v.encode("utf-8", "surrogatepass"), safe="")
            for k, v in pairs
        )
        return "POST", headers, body.encode(), None
    if how < 0.6:
        headers["Content-Type"] = rnd.choice(["application/json", "application/json; charset=utf-8", "text/json"])
        return "POST", headers, json.dumps(args).encode(), None
    if how < 0.72:
        query = "&".join(
            requests.utils.quote(k, safe="") + "=" + requests.utils.quote(form_value(v).encode("utf-8", "surrogatepass"), safe="")
            for k, v in args.items()
        )
        return "GET", headers, None, query
    if how < 0.84:
        boundary = "fuzzboundary" + str(rnd.randrange(10**6))
        headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        parts = []
        for k, v in args.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n'.encode()
                + form_value(v).encode("utf-8", "surrogatepass")
                + b"\r\n"
            )
        if rnd.random() < 0.3:
            parts.append(f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.bin\"\r\n\r\n".encode() + bytes(rnd.randrange(256) for _ in range(64)) + b"\r\n")
        closing = f"--{boundary}--\r\n".encode() if rnd.random() < 0.8 else b""  # sometimes unterminated
        return "POST", headers, b"".join(parts) + closing, None
    # Raw bytes under a claimed type: invalid UTF-8, truncated JSON, a JSON array, nothing.
    headers["Content-Type"] = rnd.choice(
        ["application/json", "application/x-www-form-urlencoded", "text/plain", "application/octet-stream", "", "multipart/form-data"]
    )
    body = rnd.choice(
        [b"\xff\xfe\xfd", b'{"channel": "C1", "text": "\xc3\x28"}', b'{"a":', b"[1,2,3]", b"", b"a=%ZZ&b=%", b"=&=&&", json.dumps(args).encode()[:7]]
    )
    return "POST", headers, body, None


def run(server: Server, seed: int, per_method: int, budget_s: float) -> Tally:
    tally = Tally("slack")
    started = time.monotonic()
    deadline = started + budget_s
    directory = shared_dir() / "vendor" / "slack" / "methods"
    methods = load_methods(directory)
    if not methods:
        tally.fail(f"no Slack method specs in {directory}")
        return tally
    ws = Workspace(server)
    stranger = server.create_universe()["slack"]["bot_token"]
    http = session()
    not_slack = 0
    rnd = random.Random(seed)
    cut = False
    for index, (name, spec) in enumerate(methods):
        if time.monotonic() > deadline:
            tally.notes.append(f"time budget reached after {index} of {len(methods)} methods")
            cut = True
            break
        if not server.alive():
            break
        props, required = properties(spec)
        gen = Generator(random.Random(rnd.random()), ws)
        for _ in range(per_method):
            token = gen.rnd.choices(
                [ws.tokens["bot"], ws.tokens["user"], ws.tokens["app"], None, "xoxb-garbage", stranger],
                weights=[55, 20, 5, 8, 6, 6],
            )[0]
            verb, headers, body, query = encode(gen.rnd, gen.args(props, required), token)
            # /api/{method} mostly, /{method} (the twin routes both) sometimes.
            base = ws.base if gen.rnd.random() < 0.85 else ws.base.removesuffix("api/")
            url = base + name + (f"?{query}" if query else "")
            status, elapsed = _send(http, verb, url, headers, body)
            tally.record(status, f"{verb} {name} {headers.get('Content-Type', '')} body={str(body)[:200]}", elapsed)
            if status is not None and status >= 0 and _last_not_slack[0]:
                not_slack += 1
                if not_slack <= 3:
                    tally.notes.append(f"not in Slack's dialect: {status} {name}: {_last_not_slack[0][:120]}")
            if name == "auth.revoke" and _last_revoked[0]:
                # The token is gone: carry on in a fresh workspace.
                server.delete_universe(ws.uid)
                ws.fresh()
                ws.replaced += 1
    if not cut:
        _oversized(http, ws, tally)
    if not_slack:
        tally.notes.append(f"{not_slack} answers were not Slack JSON with `ok`")
    if ws.replaced:
        tally.notes.append(f"auth.revoke spent the token {ws.replaced} time(s); a fresh workspace took over")
    tally.notes.append(f"{len(methods)} methods in the vendor specs")
    server.delete_universe(ws.uid)
    tally.seconds = time.monotonic() - started
    return tally


_last_not_slack: list[str] = [""]
_last_revoked: list[bool] = [False]


def _send(http: requests.Session, verb: str, url: str, headers: dict[str, str], body: Any) -> tuple[int | None, float]:
    _last_not_slack[0] = ""
    _last_revoked[0] = False
    started = time.monotonic()
    try:
        r = http.request(verb, url, headers=headers, data=body, timeout=HANG_S)
    except requests.exceptions.Timeout:
        return None, time.monotonic() - started
    except requests.exceptions.ConnectionError:
        return 0, time.monotonic() - started
    elapsed = time.monotonic() - started
    try:
        answer = r.json()
        if not isinstance(answer, dict) or "ok" not in answer:
            _last_not_slack[0] = r.text
        _last_revoked[0] = bool(isinstance(answer, dict) and answer.get("revoked"))
    except ValueError:
        _last_not_slack[0] = f"{r.headers.get('content-type')}: {r.text}"
    return r.status_code, elapsed


def _oversized(http: requests.Session, ws: Workspace, tally: Tally) -> None:
    """Bodies over the core's cap (announced and chunked) and large ones under it."""
    auth = {"Authorization": f"Bearer {ws.tokens['bot']}"}
    channel = ws.channels[0] if ws.channels else "C0"
    big = "y" * (3 * 1024 * 1024)
    cases: list[tuple[str, dict[str, str], Any]] = [
        ("chat.postMessage", {**auth, "Content-Type": "application/json"}, json.dumps({"channel": channel, "text": big}).encode()),
        ("chat.postMessage", {**auth, "Content-Type": "application/x-www-form-urlencoded"}, f"channel={channel}&text={big}".encode()),
        ("users.profile.set", {**auth, "Content-Type": "application/json"}, json.dumps({"profile": {"status_text": big}}).encode()),
        # Over the 32 MiB cap, sent chunked (no Content-Length): refused, never buffered whole.
        ("chat.postMessage", {**auth, "Content-Type": "application/json"}, (b"y" * (1024 * 1024) for _ in range(40))),
    ]
    for name, headers, body in cases:
        status, elapsed = _send(http, "POST", ws.base + name, headers, body)
        tally.record(status, f"oversized {name}", elapsed)

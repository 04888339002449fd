"""A universe's settings as the manifest gives them, as dataclasses.

`UniverseSettings.from_manifest(d)` reads the object that `dtu serve --manifest`,
`GET /_dtu/universes/{id}` and `POST /_dtu/universes` give (docs/contracts.md). A
service's settings are None when the server has no such twin. Keys this version does
not know are kept in each object's `raw` dict.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional


def _get(d: Mapping[str, Any], key: str, default: Any = None) -> Any:
    value = d.get(key, default)
    return default if value is None else value


@dataclass(frozen=True)
class SlackSettings:
    """`slack_sdk.WebClient(token=bot_token, base_url=base_url)`."""

    base_url: str
    bot_token: str
    user_token: str
    app_token: str
    team_id: str
    bot_user_id: str
    app_id: str = ""
    signing_secret: str = ""
    # The app's OAuth client and its authorize pages (install flow, Sign in with Slack).
    client_id: str = ""
    client_secret: str = ""
    oauth_authorize_url: str = ""
    openid_authorize_url: str = ""
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_manifest(cls, d: Mapping[str, Any]) -> "SlackSettings":
        return cls(
            base_url=d["base_url"],
            bot_token=d["bot_token"],
            user_token=_get(d, "user_token", ""),
            app_token=_get(d, "app_token", ""),
            team_id=_get(d, "team_id", ""),
            bot_user_id=_get(d, "bot_user_id", ""),
            app_id=_get(d, "app_id", ""),
            signing_secret=_get(d, "signing_secret", ""),
            client_id=_get(d, "client_id", ""),
            client_secret=_get(d, "client_secret", ""),
            oauth_authorize_url=_get(d, "oauth_authorize_url", ""),
            openid_authorize_url=_get(d, "openid_authorize_url", ""),
            raw=dict(d),
        )


@dataclass(frozen=True)
class OktaSettings:
    """`okta.client.Client({"orgUrl": org_url, "token": api_token})` (set
    `OKTA_TESTING_TESTINGDISABLEHTTPSCHECK=true`: the twin speaks http)."""

    org_url: str
    api_token: str
    issuer: str = ""
    client_id: str = ""
    client_secret: str = ""
    admin_user_id: str = ""
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_manifest(cls, d: Mapping[str, Any]) -> "OktaSettings":
        return cls(
            org_url=d["org_url"],
            api_token=d["api_token"],
            issuer=_get(d, "issuer", ""),
            client_id=_get(d, "client_id", ""),
            client_secret=_get(d, "client_secret", ""),
            admin_user_id=_get(d, "admin_user_id", ""),
            raw=dict(d),
        )


@dataclass(frozen=True)
class JiraUser:
    account_id: str
    api_token: str


@dataclass(frozen=True)
class JiraSettings:
    """`jira.JIRA(server=base_url, basic_auth=(email, api_token))`, or
    `token_auth=bearer_token`; `users` has every person's account id and API token."""

    base_url: str
    email: str
    api_token: str
    account_id: str = ""
    bearer_token: str = ""
    users: Dict[str, JiraUser] = field(default_factory=dict)
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_manifest(cls, d: Mapping[str, Any]) -> "JiraSettings":
        users = {
            email: JiraUser(account_id=_get(u, "account_id", ""), api_token=_get(u, "api_token", ""))
            for email, u in _get(d, "users", {}).items()
        }
        return cls(
            base_url=d["base_url"],
            email=_get(d, "email", ""),
            api_token=_get(d, "api_token", ""),
            account_id=_get(d, "account_id", ""),
            bearer_token=_get(d, "bearer_token", ""),
            users=users,
            raw=dict(d),
        )


@dataclass(frozen=True)
class GoogleSettings:
    """Drive, Docs and Sheets on one port: `Credentials(token=access_token)` with
    `discovery_urls["drive"]`; `access_tokens` by email; `service_account` is a key
    file's content for `google.oauth2.service_account`."""

    endpoint: str
    access_token: str
    user: str
    access_tokens: Dict[str, str] = field(default_factory=dict)
    discovery_urls: Dict[str, str] = field(default_factory=dict)
    drive_endpoint: str = ""
    token_uri: str = ""
    refresh_token: str = ""
    oauth_client: Dict[str, str] = field(default_factory=dict)
    service_account: Dict[str, Any] = field(default_factory=dict, repr=False)
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_manifest(cls, d: Mapping[str, Any]) -> "GoogleSettings":
        return cls(
            endpoint=d["endpoint"],
            access_token=d["access_token"],
            user=_get(d, "user", ""),
            access_tokens=dict(_get(d, "access_tokens", {})),
            discovery_urls=dict(_get(d, "discovery_urls", {})),
            drive_endpoint=_get(d, "drive_endpoint", ""),
            token_uri=_get(d, "token_uri", ""),
            refresh_token=_get(d, "refresh_token", ""),
            oauth_client=dict(_get(d, "oauth_client", {})),
            service_account=dict(_get(d, "service_account", {})),
            raw=dict(d),
        )

    def token_for(self, email: str) -> str:
        """The access token of one person of the domain."""
        try:
            return self.access_tokens[email]
        except KeyError:
            raise KeyError(f"no Google access token for {email!r}; known: {sorted(self.access_tokens)}") from None


@dataclass(frozen=True)
class UniverseSettings:
    """One universe: its id and each twin's settings (None when the server has no such twin)."""

    id: str
    fixture: str
    created_at: str
    control_url: str
    slack: Optional[SlackSettings] = None
    okta: Optional[OktaSettings] = None
    jira: Optional[JiraSettings] = None
    google: Optional[GoogleSettings] = None
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_manifest(cls, d: Mapping[str, Any]) -> "UniverseSettings":
        def part(key: str, kind: Any) -> Any:
            value = d.get(key)
            return kind.from_manifest(value) if isinstance(value, Mapping) else None

        return cls(
            id=d["id"],
            fixture=_get(d, "fixture", ""),
            created_at=_get(d, "created_at", ""),
            control_url=_get(d, "control_url", ""),
            slack=part("slack", SlackSettings),
            okta=part("okta", OktaSettings),
            jira=part("jira", JiraSettings),
            google=part("google", GoogleSettings),
            raw=dict(d),
        )

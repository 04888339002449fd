"""Quickstart: the official okta SDK (3.x) against DTU, unchanged but for orgUrl.

Run `dtu serve` first. The SDK refuses plain http unless this variable is set (any
non-empty value): it is the SDK's own switch, not DTU's. The credentials come from
the control plane: export DTU_ADMIN_TOKEN (the admin_token `dtu serve` printed).
"""
import asyncio
import json
import os
import urllib.request

os.environ.setdefault("OKTA_TESTING_TESTINGDISABLEHTTPSCHECK", "true")

from okta.client import Client  # noqa: E402

control = os.environ.get("DTU_CONTROL_URL", "http://127.0.0.1:8700/_dtu/")
okta = json.load(urllib.request.urlopen(urllib.request.Request(
    control + "universes/default", headers={"Authorization": "Bearer " + os.environ["DTU_ADMIN_TOKEN"]})))["okta"]


async def main() -> None:
    client = Client({"orgUrl": okta["org_url"], "token": okta["api_token"]})
    users, _, err = await client.list_users(search='profile.department eq "Engineering"')
    assert err is None, err
    print("connected to", okta["org_url"], "-", len(users), "engineers")
    for user in users:
        print(" ", user.profile.login, user.status)

    _, _, err = await client.get_user("nobody@acme.test")
    print("as on Okta:", err.error_code, err.error_summary)


asyncio.run(main())

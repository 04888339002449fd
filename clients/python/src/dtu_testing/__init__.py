"""dtu-testing: test fixtures for DTU (Digital Twin Universe).

In pytest (the plugin loads itself once the package is installed):

    def test_post(dtu_universe):
        client = WebClient(token=dtu_universe.slack.bot_token, base_url=dtu_universe.slack.base_url)
        client.chat_postMessage(channel="general", text="hi")
        assert "slack.messages created" in " ".join(dtu_universe.changes())

Without pytest: `with DtuServer.start() as server: u = server.new_universe(); ...`.
"""

from .client import Clock, ControlPlane, DtuError, Universe
from .server import DtuServer, find_binary
from .settings import GoogleSettings, JiraSettings, JiraUser, OktaSettings, SlackSettings, UniverseSettings

__all__ = [
    "Clock",
    "ControlPlane",
    "DtuError",
    "DtuServer",
    "GoogleSettings",
    "JiraSettings",
    "JiraUser",
    "OktaSettings",
    "SlackSettings",
    "Universe",
    "UniverseSettings",
    "find_binary",
]
__version__ = "0.1.0"

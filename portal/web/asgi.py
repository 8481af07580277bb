"""The ASGI entry point for servers: the only module that builds the app at import time."""

from portal.settings import Settings
from portal.web.app import create_app

app = create_app(Settings.from_env())

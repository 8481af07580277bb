"""What handlers may ask for by name: settings, the knowledge base, the signed-in user, the client."""

from __future__ import annotations

from litestar import Request
from litestar.di import Provide

from auth.tables import User
from kb.activity import ReaderActivity
from kb.indexing import IndexSync
from portal.accounts.flows import Client
from portal.settings import Settings
from portal.web.client import client_of


def dependencies(settings: Settings, kb: IndexSync, activity: ReaderActivity) -> dict[str, Provide]:
    def provide_settings() -> Settings:
        return settings

    def provide_kb() -> IndexSync:
        return kb

    def provide_activity() -> ReaderActivity:
        return activity

    def provide_viewer(request: Request) -> User | None:
        return request.scope.get("user")

    def provide_client(request: Request) -> Client:
        return client_of(request, settings)

    return {
        "settings": Provide(provide_settings, sync_to_thread=False, use_cache=True),
        "kb": Provide(provide_kb, sync_to_thread=False, use_cache=True),
        "activity": Provide(provide_activity, sync_to_thread=False, use_cache=True),
        "viewer": Provide(provide_viewer, sync_to_thread=False),
        "client": Provide(provide_client, sync_to_thread=False),
    }

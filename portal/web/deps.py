"""What handlers may ask for by name: settings, the knowledge base, the signed-in user, the client."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar._kwargs.cleanup import DependencyCleanupGroup
from litestar._kwargs.dependencies import resolve_dependency
from litestar._kwargs.kwargs_model import KwargsModel
from litestar.connection import ASGIConnection
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


async def _resolve_in_order(
    self: KwargsModel, connection: ASGIConnection, kwargs: dict[str, Any]
) -> DependencyCleanupGroup:
    cleanup_group = DependencyCleanupGroup()
    for batch in self.dependency_batches:
        for dependency in batch:
            await resolve_dependency(dependency, connection, kwargs, cleanup_group)
    return cleanup_group


def resolve_in_order() -> None:
    """Resolve a handler's dependencies one after the other.

    Litestar (2.25, pinned) resolves the dependencies of one level at once, in an anyio task group: three
    tasks made and scheduled per page for providers that are plain functions returning what they were
    given (above), about a tenth of a millisecond of every request. Concurrency would only help
    providers that wait on I/O, and none does: a provider that needs the database belongs in a service."""
    KwargsModel.resolve_dependencies = _resolve_in_order  # type: ignore[method-assign]

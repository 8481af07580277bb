"""What handlers ask for by name is resolved one provider after the other (portal.web.deps)."""

from __future__ import annotations

import inspect

from litestar._kwargs.kwargs_model import KwargsModel

from kb.activity import ReaderActivity
from kb.indexing import IndexSync, index_at
from portal.knowledge import content
from portal.web.deps import dependencies, resolve_in_order
from tests.portal.test_kb_search_ux import CONTENT


def test_every_provider_is_a_plain_function_so_order_costs_no_concurrency(settings):
    provided = dependencies(settings, IndexSync(index_at(settings.data_dir)), ReaderActivity())
    for name, provide in provided.items():
        function = provide.dependency
        assert not inspect.iscoroutinefunction(function), name
        assert not inspect.isgeneratorfunction(function) and not inspect.isasyncgenfunction(function), name
        assert not provide.sync_to_thread, name


async def test_a_page_asking_for_several_providers_gets_each(client):
    resolve_in_order()
    assert KwargsModel.resolve_dependencies.__module__ == "portal.web.deps"
    await content.import_articles(client.app.state.kb, CONTENT)
    # The search page asks for the knowledge base, the reader's activity log and the viewer at once: the
    # hits come from the first, their links carry the second's log token.
    answer = await client.get("/kb/search", params={"q": "forgot password"})
    assert answer.status_code == 200
    assert '<a href="/kb/reset-forgotten-password?searched=' in answer.text

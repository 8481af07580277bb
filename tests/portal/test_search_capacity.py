"""Searches beyond what the CPUs can run and the queue can hold get a fast 503 with Retry-After."""

from kb.search.busy import SearchGate


async def test_a_search_beyond_capacity_is_refused_with_retry_after_and_then_served(client):
    index = client.app.state.kb.index
    index.gate = SearchGate(slots=1, queue=0)
    with index.gate.slot():  # the only slot is taken and nobody may wait
        api = await client.get("/api/kb/search", params={"q": "password"})
        page = await client.get("/kb/search", params={"q": "password"})
        suggest = await client.get("/api/kb/suggest", params={"q": "pass"})
    assert api.status_code == 503 and api.headers["retry-after"] == "1"
    assert page.status_code == 503 and "Search is busy right now" in page.text
    assert suggest.status_code == 503
    # The slot is free again: the same searches are answered, and the refused page was never cached.
    assert (await client.get("/api/kb/search", params={"q": "password"})).status_code == 200
    assert (await client.get("/kb/search", params={"q": "password"})).status_code == 200

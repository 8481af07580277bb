"""axe-core on every page of the main flows, as each kind of user, in both languages, on a desktop
and on a phone: no critical or serious violation, and nothing scrolls sideways at 390 px.

One portal and one browser for the whole module; each role signs in once per language and walks its
pages at both widths. A page someone adds goes into PAGES: `{name}` parts are found on the pages of
FOUND (the first link matching the pattern), so the list needs no ids of its own. Every GET route of
the app is either walked here or named in NOT_WALKED with the reason (a test without a browser checks
that), so a new page cannot be left out unseen."""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from litestar.routes import HTTPRoute

from portal.web.app import create_app
from tests.conftest import PG_URL, _truncate, make_settings
from tests.e2e.conftest import ServedPortal, missing, serve, stop
from tests.e2e.test_browser_tickets import demo_password

AXE = Path(__file__).parent.parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (1280, 390)
LOCALES = ("en", "ru")
IMPACTS = {"critical", "serious"}
# WCAG 2.2 A and AA and axe's best practices: every rule but the experimental ones.
RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

# Every page of the main flows, by who opens them.
PAGES: dict[str, list[str]] = {
    "anonymous": [
        "/",
        "/kb",
        "/kb/search?q=password",
        "/kb/search?q=xyzzy+quantum+banana",
        "/kb/category/{category}",
        "/kb/{article}",
        "/login",
        "/register",
        "/password/forgot",
        # What a reader meets after a wrong turn: a page that is not there, a link that has expired.
        "/kb/no-such-article",
        "/verify?token=expired",
        "/password/reset?token=expired",
        "/rate/expired",
    ],
    "customer": ["/", "/tickets", "/tickets/new", "/tickets/{ticket}", "/profile"],
    "agent": [
        "/staff/tickets",
        "/staff/tickets/{ticket}",
        "/staff/tickets/new",
        "/staff/kb",
        "/staff/kb/new",
        "/staff/kb/{article_id}",
        "/staff/kb/{article_id}/revisions",
        "/staff/kb/{article_id}/revisions/{revision}",
        "/staff/tickets/{resolved}/article",
        "/staff/canned-replies",
        "/staff/insights",
        "/staff/insights/groups/{group}",
        "/staff/inbound",
        "/profile",
    ],
    "supervisor": ["/staff/tickets", "/staff/escalations", "/staff/reports", "/staff/reports?report=times"],
    "admin": [
        "/admin/users",
        "/admin/users/{user}",
        "/admin/organizations",
        "/admin/organizations/{organization}",
        "/admin/ticket-types",
        "/admin/ticket-types/{ticket_type}/fields",
        "/admin/groups",
        "/admin/service-levels",
        "/admin/service-levels/{plan}",
        "/staff/kb/categories",
        "/staff/canned-replies/{reply}",
    ],
}
ACCOUNTS = {role: f"{role}@example.com" for role in PAGES if role != "anonymous"}
# Where each `{name}` is found: (a page the admin opens, the pattern of the link's path).
FOUND = {
    "category": ("/kb", r'href="/kb/category/([\w-]+)"'),
    "article": ("/kb/category/{category}", r'href="/kb/(?!category/|search)([\w-]+)"'),
    "ticket": ("/staff/tickets", r'href="/staff/tickets/(\d+)"'),
    "article_id": ("/staff/kb", r'href="/staff/kb/(\d+)"'),
    "group": ("/staff/insights", r'href="/staff/insights/groups/(\d+)"'),
    "user": ("/admin/users", r'href="/admin/users/(\d+)"'),
    "organization": ("/admin/organizations", r'href="/admin/organizations/(\d+)"'),
    "ticket_type": ("/admin/ticket-types", r'href="/admin/ticket-types/(\d+)/fields"'),
    "revision": ("/staff/kb/{article_id}/revisions", r'href="/staff/kb/\d+/revisions/(\d+)"'),
    "resolved": ("/staff/tickets?view=all&status=resolved", r'href="/staff/tickets/(\d+)"'),
    "plan": ("/admin/service-levels", r'href="/admin/service-levels/(\d+)"'),
    "reply": ("/staff/canned-replies", r'href="/staff/canned-replies/(\d+)"'),  # the admin adds one first
}
# The answer each page is meant to give, where it is not a success.
STATUS = {
    "/kb/no-such-article": 404,
    "/verify?token=expired": 400,
    "/password/reset?token=expired": 400,
    "/rate/expired": 400,
}
# GET routes that are not pages a person reads, or that this walk cannot reach, and why.
NOT_WALKED = {
    "/theme.css": "a style sheet",
    "/health": "a probe (JSON)",
    "/ready": "a probe (JSON)",
    "/auth/oidc/{name:str}/start": "redirects to the provider",
    "/auth/oidc/{name:str}/callback": "redirects back into the portal",
    "/auth/oidc/link": "only within an OpenID Connect sign-in: axe in tests/e2e/test_oidc_browser.py",
    "/staff/insights/groups/{group_id:int}/draft": "redirects to /staff/tickets/{number}/article, walked",
    "/staff/reports/{name:str}/csv/{table:str}": "CSV",
    "/staff/reports/{name:str}/chart": "an SVG chart inside the reports page, walked",
    "/tickets/new/fields": "the fields of one ticket type, swapped into /tickets/new by its script",
    "/tickets/{number:int}/files/{attachment_id:int}": "a file download",
    "/static/{file_path:path}": "static files",
    "/schema": "the API's OpenAPI description",
    "/schema/openapi.json": "the API's OpenAPI description",
    "/schema/{path:str}": "the API's OpenAPI description",
}


@dataclass
class Findings:
    problems: list[str] = field(default_factory=list)
    pages: int = 0


@pytest.fixture(scope="module")
def portal(tmp_path_factory, database_template) -> Iterator[ServedPortal]:
    """The demo portal (accounts, tickets, groups, the shipped articles), once for the module."""
    tmp = tmp_path_factory.mktemp("axe")
    if PG_URL:
        asyncio.run(_truncate(database_template))
        url = database_template
    else:
        shutil.copy(database_template, tmp / "portal.sqlite3")
        url = f"sqlite:///{tmp / 'portal.sqlite3'}"
    # The first start seeds the demo and indexes the shipped articles: slow on a busy machine.
    process, served = serve(tmp / "data", url, ready_within=240)
    try:
        yield served
    finally:
        stop(process)


@pytest.fixture(scope="module")
def browser():
    if not AXE.exists():
        missing("axe-core (npm ci --prefix tests/axe)")
    from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS

    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright (pip install -e '.[test]')")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def _page(browser, **options):
    """A fresh profile with axe-core in each page it opens."""
    context = browser.new_context(locale="en-US", **options)
    context.add_init_script(path=str(AXE))  # in every page before its own scripts; no policy applies to it
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def _sign_in(page, portal: ServedPortal, role: str) -> None:
    email = ACCOUNTS[role]
    page.goto(portal.url + "/login")
    page.locator("#f-email").fill(email)
    page.locator("#f-password").fill(demo_password(portal, email))
    page.locator("main form[action='/login'] button[type=submit]").click()
    page.wait_for_load_state()


def _switch_language(page, locale: str) -> None:
    """The header's switcher, as a reader uses it (it works without script)."""
    page.select_option("#language-choice", locale)
    page.locator("form.language button").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == locale


def _add_canned_reply(page, portal: ServedPortal) -> None:
    """One reply shared with every agent, so that its own page has something to show."""
    page.goto(portal.url + "/staff/canned-replies")
    page.locator("#f-title").fill("Firmware update")
    page.locator("#f-body").fill("Hello {customer_name}, the firmware 2.4.1 fixes this.")
    page.locator("input[name=shared]").check()
    page.locator("form[action='/staff/canned-replies'] button[type=submit]").click()
    page.wait_for_load_state()


def _values(page, portal: ServedPortal) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, (where, pattern) in FOUND.items():
        page.goto(portal.url + where.format(**values))
        found = re.search(pattern, page.content())
        assert found, f"no link for {{{name}}} on {where}"
        values[name] = found.group(1)
    return values


def _violations(page) -> list[dict]:
    return page.evaluate(
        "tags => axe.run(document, {resultTypes: ['violations'], runOnly: {type: 'tag', values: tags}})"
        ".then(r => r.violations.map(v => "
        "({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))",
        RULES,
    )


def _check(page, url: str, label: str, findings: Findings, status: int | None = None) -> None:
    """One load (answered with `status`, or a success), then each width in turn (the layout follows the
    viewport without reloading)."""
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})
    response = page.goto(url)
    if response is None or (response.status != status if status else response.status >= 400):
        findings.problems.append(f"{label} {url}: HTTP {response and response.status}")
        return
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        findings.pages += 1
        for violation in _violations(page):
            if violation["impact"] in IMPACTS:
                findings.problems.append(
                    f"{label} {width}px {url}: {violation['impact']} {violation['id']} at {violation['nodes']}"
                )
        scroll = page.evaluate("() => document.documentElement.scrollWidth")
        if scroll > width:
            findings.problems.append(f"{label} {width}px {url}: scrolls sideways ({scroll} px wide)")


def test_every_page_passes_axe_and_fits_a_phone(portal, browser):
    httpx.get(portal.url + "/ready", timeout=5).raise_for_status()
    admin = _page(browser)
    _sign_in(admin, portal, "admin")
    _add_canned_reply(admin, portal)
    values = _values(admin, portal)

    # The checker itself finds what it should: an unlabelled field, a page too wide.
    admin.set_viewport_size({"width": 390, "height": 900})
    admin.set_content(f'<html lang="en"><body><main><input><pre>{"x" * 200}</pre></main></body></html>')
    assert {v["id"] for v in _violations(admin)} >= {"label"}
    assert admin.evaluate("() => document.documentElement.scrollWidth") > 390
    admin.context.close()

    findings = Findings()
    for role, paths in PAGES.items():
        for locale in LOCALES:
            page = _page(browser)
            try:
                if role == "anonymous":
                    page.goto(portal.url + "/")
                else:
                    _sign_in(page, portal, role)
                _switch_language(page, locale)
                for path in paths:
                    url = portal.url + path.format(**values)
                    _check(page, url, f"{role}/{locale}", findings, STATUS.get(path))
            finally:
                page.context.close()
    assert findings.pages >= 2 * 2 * sum(len(paths) for paths in PAGES.values())
    assert findings.problems == [], "\n".join(findings.problems)


def test_the_no_script_continue_button_hides_when_script_runs(portal, browser):
    page = _page(browser)
    try:
        _sign_in(page, portal, "customer")
        page.goto(portal.url + "/tickets/new")
        assert page.locator("html.js").count() == 1
        assert not page.locator("button[value=fields]").is_visible()
    finally:
        page.context.close()
    page = _page(browser, java_script_enabled=False)
    try:
        _sign_in(page, portal, "customer")
        page.goto(portal.url + "/tickets/new")
        assert page.locator("button[value=fields]").is_visible()
    finally:
        page.context.close()


def test_every_get_route_is_walked_or_said_why_not(tmp_path, database_url):
    walked = [path.partition("?")[0] for paths in PAGES.values() for path in paths]
    routes = {
        route.path
        for route in create_app(make_settings(tmp_path, database_url)).routes
        if isinstance(route, HTTPRoute) and "GET" in route.methods and not route.path.startswith("/api/")  # JSON
    }

    def is_walked(route: str) -> bool:
        pattern = re.compile(re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(route)) + "$")
        return any(pattern.match(path) for path in walked)

    unseen = sorted(route for route in routes if not is_walked(route) and route not in NOT_WALKED)
    assert unseen == [], "add these pages to PAGES (or to NOT_WALKED, with the reason)"
    assert sorted(set(NOT_WALKED) - routes) == []  # no reason kept for a route that is gone

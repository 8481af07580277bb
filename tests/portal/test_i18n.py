"""Every page and email in English and Russian, chosen by the user's setting, else the browser."""

import io
import re
import tokenize
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from markupsafe import escape

from portal import i18n
from portal.web.templating import environment
from tests.helpers import create_user, last_mail, post_form, sign_in

KEYWORDS = {**DEFAULT_KEYWORDS, "gettext_": None, "ngettext_": (1, 2)}  # as the README's `pybabel extract`
GETTEXT_CALL = re.compile(r"\b(?:n?gettext_?|_)\(")


def _extracted() -> set[str | tuple[str, ...]]:
    """Every message the code and templates use, as `pybabel extract` finds them."""
    root = i18n.CATALOGS.parent.parent
    with (i18n.CATALOGS / "babel.cfg").open() as config:  # the mapping `pybabel extract` uses too
        method_map, options = parse_mapping_cfg(config)
    return {
        message
        for _file, _line, message, _comments, _context in extract_from_dir(str(root), method_map, options, KEYWORDS)
    }


def _key(message: str | tuple[str, ...]) -> str:
    """Plural messages are keyed by their singular, as extraction reports them."""
    return message[0] if isinstance(message, tuple) else message


def _read(path: Path) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle)


def test_every_message_in_the_code_has_a_russian_translation_and_is_in_the_template():
    found = {_key(m) for m in _extracted()}
    catalog = _read(i18n.CATALOGS / "ru" / "LC_MESSAGES" / "messages.po")
    # A fuzzy translation is a guess `pybabel update` made: the compiled catalog leaves it out.
    translated = {
        _key(m.id)
        for m in catalog
        if m.id and not m.fuzzy and all(m.string if isinstance(m.string, tuple) else [m.string])
    }
    assert len(found) > 100
    assert sorted(found - translated) == []
    template = {_key(m.id) for m in _read(i18n.CATALOGS / "messages.pot") if m.id}
    assert sorted(found - template) == [] and sorted(template - found) == [], "run the README's pybabel extract"


def _f_strings(source: str) -> Iterator[str]:
    """The text of each f-string of a module (from Python 3.12 the tokenizer splits them into parts)."""
    starts, depth, parts = getattr(tokenize, "FSTRING_START", None), 0, []
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == starts:
            depth += 1
        if depth:
            parts.append(token.string)
        elif token.type == tokenize.STRING and "f" in token.string.partition(token.string[-1])[0].lower():
            yield token.string
        if depth and token.type == getattr(tokenize, "FSTRING_END", None):
            depth -= 1
            if not depth:
                yield " ".join(parts)
                parts = []


def test_no_message_hides_in_an_f_string_where_extraction_cannot_see_it():
    hidden = [
        f"{path.relative_to(i18n.CATALOGS.parent)}: {text}"
        for path in sorted(i18n.CATALOGS.parent.rglob("*.py"))
        for text in _f_strings(path.read_text(encoding="utf-8"))
        if GETTEXT_CALL.search(text)
    ]
    assert hidden == []


async def test_pages_follow_accept_language(client):
    ru = await client.get("/login", headers={"accept-language": "ru-RU,ru;q=0.9,en;q=0.5"})
    assert '<html lang="ru">' in ru.text and "Войти" in ru.text
    en = await client.get("/login", headers={"accept-language": "de-DE,en;q=0.5"})
    assert '<html lang="en">' in en.text and "Sign in" in en.text


async def test_the_switcher_sets_the_language_for_anonymous_visitors(client):
    response = await post_form(client, "/language", {"lang": "ru", "next": "/register"})
    assert response.status_code == 302 and response.headers["location"] == "/register"
    page = await client.get("/register", headers={"accept-language": "en"})
    assert "Создать учётную запись" in page.text or '<html lang="ru">' in page.text
    evil = await post_form(client, "/language", {"lang": "en", "next": "//evil.test/"})
    assert evil.headers["location"] == "/"


async def test_the_user_setting_wins_over_the_browser_and_emails_use_it(client, settings):
    await create_user(settings, "ann@example.com", locale="ru")
    await sign_in(client, "ann@example.com")
    page = await client.get("/profile", headers={"accept-language": "en"})
    assert '<html lang="ru">' in page.text and "Профиль" in page.text

    saved = await post_form(client, "/profile", {"name": "Ann Example", "locale": "en", "time_zone": "Europe/Moscow"})
    assert saved.status_code == 302
    page = await client.get("/profile", headers={"accept-language": "ru"})
    assert (
        '<html lang="en">' in page.text
        and "Your profile is saved." in (await client.get("/profile?done=profile_saved")).text
    )
    assert 'value="Europe/Moscow" selected' in page.text

    await post_form(client, "/password/forgot", {"email": "ann@example.com"})
    assert (await last_mail("ann@example.com")).subject == "Reset your password"


async def test_profile_rejects_bad_values(client, settings):
    await create_user(settings, "ann@example.com")
    await sign_in(client, "ann@example.com")
    for data, message in [
        ({"name": "", "locale": "en", "time_zone": "UTC"}, "Enter your name."),
        ({"name": "Ann", "locale": "de", "time_zone": "UTC"}, "Choose English or Russian."),
        ({"name": "Ann", "locale": "en", "time_zone": "Mars/Olympus"}, "Choose a time zone"),
    ]:
        response = await post_form(client, "/profile", data)
        assert response.status_code == 400 and message in response.text


def test_dates_are_shown_in_the_users_time_zone_and_language():
    from datetime import UTC, datetime

    moment = datetime(2026, 3, 1, 21, 30, tzinfo=UTC)
    assert "00:30" in i18n.format_when(moment, "Europe/Moscow", "ru")
    assert "Mar" in i18n.format_when(moment, "UTC", "en") and "9:30" in i18n.format_when(moment, "UTC", "en")


def _catalog_placeholders() -> set[str]:
    """Every message of the Russian catalog (its English msgid or its translation) holding a `<…>`."""
    with (i18n.CATALOGS / "ru" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    found = set()
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        if any(re.search(r"<[^>]+>", text) for text in (*ids, *texts)):
            found.add(ids[0])
    return found


def test_translated_placeholders_reach_the_page_as_text(settings):
    messages = _catalog_placeholders()
    assert any("Bearer <token>" in message for message in messages)
    env = environment(settings)
    for locale in ("en", "ru"):
        with i18n.use_locale(locale):
            for message in messages:
                text = i18n.translations(locale).gettext(message)
                rendered = env.from_string("{{ _(message) }}").render(message=message)
                assert rendered == str(escape(text)), (locale, message)
                assert re.search(r"&lt;[^&]+&gt;", rendered), (locale, message)


async def test_the_profile_shows_the_api_tokens_placeholder(client, settings):
    await create_user(settings, "ann@example.com", locale="ru")
    await sign_in(client, "ann@example.com")
    assert "Bearer &lt;token&gt;" in (await client.get("/profile")).text


async def test_the_switcher_changes_a_signed_in_users_language_at_once(client, settings):
    await create_user(settings, "ann@example.com")
    await sign_in(client, "ann@example.com")
    assert '<html lang="en">' in (await client.get("/profile")).text
    await post_form(client, "/language", {"lang": "ru", "next": "/profile"})
    assert '<html lang="ru">' in (await client.get("/profile")).text


def test_template_functions_get_their_own_arguments_and_context_functions_still_get_the_context(settings):
    from jinja2 import pass_context

    env = environment(settings)
    seen = []
    env.globals["shout"] = lambda text, **kwargs: seen.append(kwargs) or text.upper()
    env.globals["page_of"] = pass_context(lambda context, key: context[key])
    env.plain_functions[id(env.globals["shout"])] = env.globals["shout"]  # as environment() registers its own
    template = env.from_string(
        "{% for word in words %}{% set n = loop.index %}{{ shout(word) }}{{ n }} {% endfor %}"
        "{% block b %}{% set m = 3 %}{{ shout('c') }}{{ m }} {{ page_of('title') }} {{ _('Search') }}{% endblock %}"
    )
    with i18n.use_locale("ru"):
        page = template.render(words=["a", "b"], title="T")
    # Called from a loop and a block: Jinja's loop and block variables are not passed on.
    assert page == "A1 B2 C3 T Найти" and seen == [{}, {}, {}]

"""Searching the index: language analysis, typos, filters, pages, snippets, caps and suggestions."""

import time
from datetime import UTC, datetime

import pytest

from kb.search import IndexDoc, QueryTooLong, SearchIndex
from kb.search.analysis import stem, words
from kb.search.snippets import Highlighter

NOW = datetime(2026, 11, 1, tzinfo=UTC)


def doc(id, title, body, locale="en", category="general", public=True, summary="", tags=()):
    return IndexDoc(
        id=id,
        slug=f"article-{id}",
        locale=locale,
        title=title,
        summary=summary,
        body=body,
        category=category,
        tags=tuple(tags),
        public=public,
        updated_at=NOW,
    )


DOCS = [
    doc(
        1,
        "Reset a forgotten password",
        "Request a reset link from the sign-in page. The link expires.",
        category="account",
    ),
    doc(2, "Change your payment method", "Update the card used for invoices in billing settings.", category="billing"),
    doc(
        3, "Refund timelines", "Refunds reach your card within five working days.", category="billing", tags=("money",)
    ),
    doc(
        4,
        "Как создать обращение",
        "Чтобы создать обращение в поддержку, откройте портал.",
        locale="ru",
        category="tickets",
    ),
    doc(5, "Новогодняя ёлка в офисе", "Ёлку ставят в декабре.", locale="ru"),
    doc(6, "Secret roadmap unicorn", "Internal draft about the unicorn project.", public=False),
    doc(7, "Embedding widgets", 'Never paste <script>alert("x")</script> into the widget field & friends.'),
    doc(8, "Delete your account", "Deleting an account removes tickets and invoices.", category="account"),
    doc(9, "Смена пароля", "Пароль меняют в профиле.", locale="ru", category="account"),
    *[
        doc(100 + n, f"Printer setup guide {n}", "Connect the printer and install the driver.", category="devices")
        for n in range(25)
    ],
]


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    index = SearchIndex(tmp_path_factory.mktemp("kb") / "search")
    index.rebuild(DOCS)
    index.warm_up()
    yield index
    index.close()


def slugs(page):
    return [hit.slug for hit in page.results]


@pytest.mark.parametrize("form", ["обращение", "обращения", "обращений", "Обращениями", "ОБРАЩЕНИЮ"])
def test_russian_word_forms_find_the_same_article(index, form):
    assert slugs(index.search(form, "ru"))[:1] == ["article-4"]


@pytest.mark.parametrize("query", ["reset passwords", "resetting password", "forgotten", "forget password"])
def test_english_word_forms_find_the_article(index, query):
    assert slugs(index.search(query, "en"))[:1] == ["article-1"]


@pytest.mark.parametrize("query", ["елка", "ёлка", "ЁЛКУ", "елку"])
def test_yo_and_ye_are_the_same_letter(index, query):
    assert slugs(index.search(query, "ru")) == ["article-5"]


@pytest.mark.parametrize(
    ("query", "locale", "fixed", "found"),
    [
        ("pasword", "en", "password", "article-1"),
        ("How do I reset my passwrod?", "en", "How do I reset my password?", "article-1"),
        ("refnd", "en", "refund", "article-3"),
        ("обрашение", "ru", "обращение", "article-4"),
        ("смена пвроля", "ru", "смена пароля", "article-9"),
    ],
)
def test_typos_are_tolerated_and_corrected(index, query, locale, fixed, found):
    page = index.search(query, locale)
    assert page.did_you_mean == fixed
    assert found in slugs(page)[:3]


def test_no_did_you_mean_when_every_word_is_known(index):
    assert index.search("refund card", "en").did_you_mean is None


def test_unpublished_articles_are_hidden_from_customers_but_not_staff(index):
    assert index.search("unicorn roadmap", "en").total == 0
    assert index.suggest("unicorn", "en") == []
    assert slugs(index.search("unicorn roadmap", "en", public_only=False)) == ["article-6"]
    assert [s.slug for s in index.suggest("secret road", "en", public_only=False)] == ["article-6"]


@pytest.mark.parametrize("query", ["public:0 unicorn", "public:false unicorn", "unicorn OR public:1", "title:unicorn"])
def test_field_syntax_is_just_words_and_cannot_reach_hidden_articles(index, query):
    assert "article-6" not in slugs(index.search(query, "en", per_page=100))


def test_question_marks_and_stars_are_not_wildcards(index):
    assert slugs(index.search("refund?", "en"))[:1] == ["article-3"]
    assert slugs(index.search("How long does a refund take?", "en"))[:1] == ["article-3"]
    # "pass*" is the word "pass", not every word starting with it.
    assert index.search("pass*", "en").total == index.search("pass", "en").total == 0
    assert index.search("*", "en").total == 0


def test_category_and_locale_filters(index):
    billing = index.search("card", "en", category="billing")
    assert set(slugs(billing)) == {"article-2", "article-3"}
    assert index.search("card", "en", category="account").total == 0
    assert index.search("password", "ru").total == 0
    assert slugs(index.search("пароль", "ru", category="account")) == ["article-9"]


def test_pagination_totals_and_pages(index):
    first = index.search("printer driver", "en", per_page=10)
    third = index.search("printer driver", "en", page=3, per_page=10)
    assert first.total == third.total == 25
    assert len(first.results) == 10 and len(third.results) == 5
    seen = [hit.slug for page in (1, 2, 3) for hit in index.search("printer", "en", page=page).results]
    assert len(seen) == len(set(seen)) == 25
    assert index.search("printer", "en", page=4).results == []


def test_hits_carry_plain_values(index):
    (hit,) = index.search("refund timelines", "en", per_page=1).results
    assert (hit.id, hit.slug, hit.title, hit.category, hit.locale) == (
        3,
        "article-3",
        "Refund timelines",
        "billing",
        "en",
    )
    assert hit.score > 0


def test_snippets_are_escaped_and_highlighted(index):
    (hit,) = index.search("widget script", "en").results
    assert "<script" not in hit.snippet_html
    assert "&lt;" in hit.snippet_html and "&amp;" in hit.snippet_html
    assert "<mark>widget</mark>" in hit.snippet_html
    stripped = hit.snippet_html.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in stripped and ">" not in stripped


def test_snippets_escape_the_passage_shown_whatever_the_rest_holds():
    highlighter = Highlighter({stem("widget")})
    assert highlighter.html('Never paste <script>alert("x")</script> into the widget field & friends.') == (
        "…paste &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; into the <mark>widget</mark> field &amp; friends."
    )
    # Markup outside the passage is not shown, so nothing is escaped.
    shown = "filler " * 5 + "the <mark>widget</mark> here"
    assert highlighter.html("Say <b>hi</b> & " + "filler " * 60 + "the widget here") == "…" + shown


def test_snippets_mark_words_not_what_sticks_to_them():
    # The query's hits share what was learnt of each word: "printer," once, then "printer" again.
    highlighter = Highlighter({stem("printer")})
    assert highlighter.html("Printer, printers and printer. Printer's tray (printer)") == (
        "<mark>Printer</mark>, <mark>printers</mark> and <mark>printer</mark>. <mark>Printer</mark>&#x27;s tray"
        " (<mark>printer</mark>)"
    )
    assert highlighter.html("printers; printer, e-printer") == (
        "<mark>printers</mark>; <mark>printer</mark>, e-<mark>printer</mark>"
    )


def test_snippet_words_are_stemmed_as_written():
    # A stress mark stays in the lowercase copy searched but not in the word stemmed.
    assert Highlighter({"обращ", "обращен"}).html("Наше обраще́ние.") == "Наше <mark>обраще́ние</mark>."
    # Lowercased with its sentence this "Σ" is a final ς; alone, as the index folds it, it is σ.
    assert Highlighter({"ς"}).html("a'Σ b") == "a&#x27;Σ b"


def test_russian_snippet_highlights_other_forms_and_yo(index):
    hit = index.search("елка", "ru").results[0]
    assert "<mark>Ёлку</mark>" in hit.snippet_html


def test_a_huge_query_is_refused_fast(index):
    started = time.perf_counter()
    with pytest.raises(QueryTooLong):
        index.search("password " * 2000, "en")
    with pytest.raises(QueryTooLong):
        index.suggest("x" * 16000, "en")
    assert time.perf_counter() - started < 0.05


def test_too_many_words_are_refused(index):
    with pytest.raises(QueryTooLong):
        index.search(" ".join(f"word{n}" for n in range(33)), "en")
    assert index.search(" ".join(f"word{n}" for n in range(32)), "en").total == 0


def test_deeply_nested_and_odd_queries_are_harmless(index):
    nested = "(" * 240 + "password" + ")" * 240
    assert slugs(index.search(nested, "en"))[:1] == ["article-1"]
    for odd in ['"unbalanced', "AND OR NOT", "~~~^^^", "\\", "", "   ", "the of and", "🙂", "\x00"]:
        assert index.search(odd, "en").total >= 0


def test_suggestions_complete_the_last_word(index):
    assert [s.title for s in index.suggest("forgot", "en")] == ["Reset a forgotten password"]
    assert [s.slug for s in index.suggest("reset pass", "en")] == ["article-1"]
    assert [s.slug for s in index.suggest("обращ", "ru")] == ["article-4"]
    assert [s.slug for s in index.suggest("Как создать обращения ", "ru")] == ["article-4"]
    assert len(index.suggest("printer", "en", limit=3)) == 3
    assert index.suggest("", "en") == [] and index.suggest("zzzz", "en") == []
    assert index.suggest("refund", "ru") == []


def test_suggestions_rank_like_search_on_any_of_the_words(index):
    # Not every word needs to be in the title: the engine ranks as search does.
    assert [s.slug for s in index.suggest("forgot my password", "en")][:1] == ["article-1"]
    assert [s.slug for s in index.suggest("when does my refund come", "en")][:1] == ["article-3"]
    assert [s.slug for s in index.suggest("pasword", "en")][:1] == ["article-1"]  # corrected like a search
    assert [s.slug for s in index.suggest("пароль", "ru")][:1] == ["article-9"]
    assert all(s.locale == "en" for s in index.suggest("printer", "en"))
    assert {s.locale for s in index.suggest("пароль password", ("en", "ru"))} == {"en", "ru"}


def test_words_the_index_does_not_know_match_nothing_by_their_beginnings(tmp_path):
    index = SearchIndex(tmp_path / "search")
    index.rebuild([doc(1, "Order quantities", "Change the quantities in your cart."), doc(2, "Refunds", "Money back.")])
    assert index.search("xyzzy quantum banana", "en").total == 0  # "quantum" is not "quantities"
    assert index.suggest("xyzzy quantum banana", "en") == []
    assert [hit.id for hit in index.search("quantity", "en").results] == [1]  # a real word form still matches
    assert [s.title for s in index.suggest("quant", "en")] == ["Order quantities"]  # a word being typed
    assert [hit.id for hit in index.search("quantum refunds", "en").results][:1] == [2]
    index.close()


def test_words_are_folded_and_compounds_give_their_parts_then_the_whole():
    assert words("Sign-in by e‐mail - or not, x- -y a--b") == "sign in signin by e mail email or not x y a b".split()
    assert words("Обраще́ние, 2FA-код и ёлка") == "обращение 2fa код 2faкод и елка".split()
    assert words("no compounds here") == ["no", "compounds", "here"]


def test_corrections_follow_the_index_as_articles_come_and_go(tmp_path):
    index = SearchIndex(tmp_path / "search")
    index.rebuild([doc(1, "Printer setup", "Connect the printer."), doc(2, "Cable guide", "Use one cable.")])
    assert index.search("scannr", "en").did_you_mean is None  # nothing one edit away yet
    assert index.search("cablex", "en").did_you_mean == "cable"
    index.apply(upserts=[doc(3, "Scanner setup", "Connect the scanner."), doc(4, "Spare cables", "Two cables.")])
    page = index.search("scannr", "en")  # asked before the article came: answered afresh
    assert (page.did_you_mean, slugs(page)) == ("scanner", ["article-3"])
    index.apply(upserts=[doc(5, "More cables", "Cables again.")])
    # The word in more articles of the whole index wins: "cables" (two, written at two times) over "cable".
    assert index.search("cablex", "en").did_you_mean == "cables"
    assert index.search("printr", "en").did_you_mean == "printer"
    index.close()


def test_the_words_kept_for_spelling_are_bounded(tmp_path, monkeypatch):
    from kb.search import spelling

    monkeypatch.setattr(spelling, "_WORDS_KEPT", 50)
    index = SearchIndex(tmp_path / "search")
    index.rebuild([doc(1, "Printer setup", "Connect the printer.")])
    for n in range(200):
        index.search(f"printr zq{n:04d}x", "en")
    with index._searching() as (_, _, parts):
        assert all(len(leaf.data.spelling) <= 50 for leaf in parts)
    assert index.search("printr", "en").did_you_mean == "printer"  # still answered after the memo restarted
    index.close()

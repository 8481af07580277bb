"""Articles as files and JSONL rows: front matter parsing, round trips, and clear errors."""

import json

import pytest

from kb.frontmatter import (
    ArticleInput,
    FrontMatterError,
    JsonlRowError,
    derive_title,
    dump,
    parse,
    rows_from_jsonl,
    slugify,
)

SAMPLE = """---
title: Reset a forgotten password
slug: reset-forgotten-password
category: account
locale: en
translation_key: reset-password
tags: [password, sign-in, "a, b", 'it''s']
summary: "How to: set a new password"
---

If you have forgotten your password, request a link.
"""


def test_parse_reads_every_key():
    article = parse(SAMPLE, "content/en/reset.md")
    assert article == ArticleInput(
        slug="reset-forgotten-password",
        title="Reset a forgotten password",
        body="If you have forgotten your password, request a link.\n",
        category="account",
        locale="en",
        tags=("password", "sign-in", "a, b", "it's"),
        summary="How to: set a new password",
        translation_key="reset-password",
    )


@pytest.mark.parametrize(
    "article",
    [
        ArticleInput(
            slug="oshibka-vkhoda",
            title='Ошибка: "не могу войти" — что делать?',
            body="Текст статьи.\n\n## Раздел\n\nЕщё текст: с двоеточием.\n",
            category="account",
            locale="ru",
            tags=("вход", "пароль, почта", 'кавычки "x"', "it's"),
            summary="  Когда пишет: ошибка #42",
            translation_key="login-error",
        ),
        ArticleInput(slug="a", title="true", body="x\n", locale="en"),
        ArticleInput(slug="b", title="123 ways: a title # not a comment", body="- [ ] item\n", locale="en"),
        ArticleInput(slug="c", title="- starts with a dash", body="", locale="en", tags=("[x]",)),
        ArticleInput(slug="d", title="Tab\tand back\\slash and 'single' quotes", body="b\n", locale="en"),
    ],
)
def test_dump_then_parse_round_trips(article):
    text = dump(article)
    assert parse(text) == article
    assert dump(parse(text)) == text


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("title: x\n---\nbody", "must start with"),
        ("---\ntitle: x\nbody", "not closed"),
        ("---\ntitle: x\ntitel: y\nlocale: en\n---\n", "unknown key 'titel'"),
        ("---\ntitle: x\ntitle: y\nlocale: en\n---\n", "given twice"),
        ("---\ntitle: x\nlocale: en\ntags: a, b\n---\n", "expected a list"),
        ("---\ntitle: x\nlocale: en\ntags: [a, [b]]\n---\n", "unexpected character"),
        ("---\ntitle: x\nlocale: en\ntags: [a, , b]\n---\n", "empty item"),
        ('---\ntitle: "x\nlocale: en\n---\n', "double-quoted"),
        ("---\ntitle: 'it's'\nlocale: en\n---\n", "single-quoted"),
        ("---\ntitle: x\nlocale: de\n---\n", "'locale' must be one of"),
        ("---\nlocale: en\n---\n", "'title' is required"),
        ("---\ntitle: x\nslug: Not Safe!\nlocale: en\n---\n", "not a safe slug"),
        ("---\njust words\n---\n", "expected 'key: value'"),
    ],
)
def test_malformed_front_matter_names_file_and_problem(text, message):
    with pytest.raises(FrontMatterError) as caught:
        parse(text, "content/en/broken.md")
    assert caught.value.path == "content/en/broken.md"
    assert message in str(caught.value)
    assert "content/en/broken.md" in str(caught.value)


def test_slug_defaults_to_file_name_and_locale_to_default():
    article = parse("---\ntitle: Hello\n---\nBody\n", "content/ru/privet-mir.md", default_locale="ru")
    assert (article.slug, article.locale) == ("privet-mir", "ru")


def test_slugify_is_lowercase_ascii_and_safe():
    assert slugify("Q&A #12/../Привет, Ёж") == "q-a-12-privet-ezh"
    assert slugify("t001_a01") == "t001-a01"
    unsafe = slugify("!!!")
    assert unsafe.startswith("item-") and unsafe == slugify("!!!") != slugify("???")


def jsonl(*rows) -> list[str]:
    return [row if isinstance(row, str) else json.dumps(row, ensure_ascii=False) for row in rows]


def test_rows_from_jsonl_maps_known_fields_and_ignores_others():
    rows = list(
        rows_from_jsonl(
            jsonl(
                {"id": "T001_a01", "question": "How to reset?", "answer": "Click reset.", "thread": "t001"},
                {"slug": "billing", "title": "Billing", "body": "Pay.", "category": "Money Matters", "tags": ["a"]},
                "",
                {"id": 7, "question": "Вопрос", "answer": "Ответ", "locale": "ru", "tags": "x, y"},
            ),
            default_locale="en",
        )
    )
    assert rows == [
        ArticleInput(slug="t001-a01", title="How to reset?", body="Click reset.", locale="en"),
        ArticleInput(slug="billing", title="Billing", body="Pay.", category="money-matters", locale="en", tags=("a",)),
        ArticleInput(slug="7", title="Вопрос", body="Ответ", locale="ru", tags=("x", "y")),
    ]


def test_empty_title_comes_from_the_first_sentence_cut_at_a_word():
    long_sentence = "Word " * 60 + "end. Second sentence."
    (short, long) = rows_from_jsonl(
        jsonl(
            {"id": 1, "answer": "First sentence here! Then more."}, {"id": 2, "question": " ", "answer": long_sentence}
        ),
        default_locale="en",
    )
    assert short.title == "First sentence here!"
    assert long.title.endswith("…") and len(long.title) <= 121
    assert not long.title[:-1].endswith(" ") and long.title[:-1].split()[-1] == "Word"
    assert derive_title("**Bold** start. Rest") == "Bold start."


@pytest.mark.parametrize(
    ("rows", "line", "message"),
    [
        (jsonl({"id": 1, "answer": "a"}, {"question": "no id", "answer": "b"}), 2, "no slug or id"),
        (jsonl({"id": 1, "answer": "a"}, "", {"id": 2, "answer": "  "}), 3, "empty body / answer"),
        (jsonl({"id": 1, "answer": "a"}, "{not json"), 2, "not valid JSON"),
        (jsonl(["a", "list"]), 1, "JSON object"),
        (jsonl({"id": "A_1", "answer": "a"}, {"id": "a-1", "answer": "b"}), 2, "repeats the one on line 1"),
        (jsonl({"id": 1, "answer": "a", "locale": "fr"}), 1, "locale must be one of"),
    ],
)
def test_bad_jsonl_rows_name_their_line(rows, line, message):
    with pytest.raises(JsonlRowError) as caught:
        list(rows_from_jsonl(rows, default_locale="en"))
    assert caught.value.line == line
    assert message in str(caught.value) and f"line {line}" in str(caught.value)

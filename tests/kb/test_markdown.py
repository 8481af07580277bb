"""The Markdown renderer: output is inert whatever the input, headings get anchors and a TOC."""

from html.parser import HTMLParser

import pytest

from kb.markdown import Heading, heading_slug, plain_text, render


class _Collect(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))


def tags(html: str) -> list[tuple[str, dict[str, str]]]:
    parser = _Collect()
    parser.feed(html)
    return parser.tags


def assert_inert(html: str) -> None:
    """What a browser would parse out of the output can run nothing."""
    for tag, attrs in tags(html):
        assert tag not in {"script", "iframe", "object", "embed", "style", "svg", "math", "form", "img"} or (
            tag == "img" and not attrs.get("src", "").lower().startswith(("data:", "javascript:"))
        ), (tag, attrs)
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name)
            if name in {"href", "src"}:
                compact = "".join(value.split()).lower()
                assert not compact.startswith(("javascript:", "data:", "vbscript:")), value
                assert "script:" not in compact, value


PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java&#x09;script:alert(1))",
    "[x](  javascript:alert(1)  )",
    "[x](vbscript:msgbox(1))",
    "![x](data:text/html,<script>alert(1)</script>)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "| a | b |\n|---|---|\n| <script>alert(1)</script> | <img src=x onerror=alert(1)> |",
    "# <img src=x onerror=alert(1)> title",
    '[link](http://example.com "t\\" onmouseover=\\"alert(1)")',
    '[link](http://example.com "<script>alert(1)</script>")',
    "<javascript:alert(1)>",
    "<a href='javascript:alert(1)'>x</a>",
    "[ref]\n\n[ref]: javascript:alert(1)",
    '<iframe src="https://evil.example"></iframe>',
    "```html\n<script>alert(1)</script>\n```",
    "`<script>alert(1)</script>`",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_hostile_markdown_renders_inert(payload):
    html = render(payload).html
    assert_inert(html)
    assert "<script" not in html.lower()


def test_raw_html_is_shown_as_text_not_dropped():
    html = render("Use <b>bold</b> and <script>x</script>").html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "&lt;script&gt;" in html


def test_table_cells_render_as_a_table_with_escaped_html():
    html = render("| a | b |\n|---|---|\n| <b onclick=x>1</b> | 2 |").html
    assert [tag for tag, _ in tags(html)].count("td") == 2
    assert "&lt;b onclick=x&gt;" in html


def test_external_links_get_nofollow_noopener_internal_do_not():
    found = {
        attrs["href"]: attrs.get("rel")
        for tag, attrs in tags(
            render(
                "[a](https://example.com/x) [b](/kb/reset) [c](#top) [d](mailto:help@example.com) <http://example.org>"
            ).html
        )
        if tag == "a"
    }
    assert found == {
        "https://example.com/x": "nofollow noopener",
        "/kb/reset": None,
        "#top": None,
        "mailto:help@example.com": None,
        "http://example.org": "nofollow noopener",
    }


def test_a_blocked_link_stays_visible_as_text():
    html = render("[click](javascript:alert(1))").html
    assert "click" in html
    assert not [tag for tag, _ in tags(html) if tag == "a"]


def test_strikethrough_footnotes_task_lists_and_code():
    html = render("~~old~~ note[^1]\n\n- [x] done\n- [ ] todo\n\n```\ncode\n```\n\n[^1]: The footnote.").html
    names = [tag for tag, _ in tags(html)]
    assert "s" in names and "pre" in names
    assert "The footnote." in html
    checkboxes = [attrs for tag, attrs in tags(html) if tag == "input"]
    assert len(checkboxes) == 2 and all("disabled" in attrs for attrs in checkboxes)


def test_russian_headings_get_readable_anchors_and_a_toc():
    rendered = render("# Обращения\n\n## Как создать обращение?\n\n### Шаг 1: вход\n\n## Как создать обращение?\n")
    assert rendered.toc == [
        Heading(1, "Обращения", "обращения"),
        Heading(2, "Как создать обращение?", "как-создать-обращение"),
        Heading(3, "Шаг 1: вход", "шаг-1-вход"),
        Heading(2, "Как создать обращение?", "как-создать-обращение-1"),
    ]
    ids = [attrs.get("id") for tag, attrs in tags(rendered.html) if tag in {"h1", "h2", "h3"}]
    assert ids == [heading.anchor for heading in rendered.toc]


def test_heading_slug_handles_symbols_only_and_yo():
    assert heading_slug("Ёлка, ёжик!") == "ёлка-ёжик"
    assert heading_slug("???") == "section"
    assert heading_slug("  Billing & VAT  ") == "billing-vat"


def test_plain_text_keeps_words_and_drops_markup_and_urls():
    text = plain_text("# Title\n\nSome **bold** [link text](https://x.example/y) and `code`.\n\n![alt](i.png)")
    assert "Title" in text and "bold" in text and "link text" in text and "code" in text and "alt" in text
    assert "**" not in text and "https://" not in text and "#" not in text

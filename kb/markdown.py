"""The one configured Markdown renderer: safe HTML, heading anchors, a table of contents, plain text."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

__all__ = ["Heading", "Rendered", "absolute", "heading_slug", "mail_text", "plain_text", "render"]

# Only these schemes may appear in href/src. markdown-it's own validator lets
# data:image/* through; we refuse every data: URL (SVG and friends are not worth the risk).
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
# Anything before the first ":" that is not cut by "/", "?" or "#" is read as a scheme; encoded
# tricks such as "java%09script:" therefore count as an (unknown, refused) scheme too.
_SCHEME_RE = re.compile(r"^([^/?#]*):")
_EXTERNAL_REL = "nofollow noopener"
# Bounds on what crafted text can make the renderer do (measured on 20,000 characters, the longest
# message; see _inline). Blocks (quotes, lists) and inline markup (emphasis in links…) nest at most
# MAX_NESTING deep: deeper markers stay text.
MAX_NESTING = 20
# Finding where a link's text ends scans on from every "[" (20,000 unclosed brackets took 4-9 s), and
# emphasis delimiters by the thousand up to 0.8 s; many small paragraphs or table cells add up too. So a
# document gets a budget: once its paragraphs and cells have used MAX_BRACKETS brackets, MAX_MARKERS
# markup characters or MAX_INLINE_BLOCKS blocks, the rest is shown as plain text (escaped, like all text).
MAX_BRACKETS = 500
MAX_MARKERS = 3000
MAX_INLINE_BLOCKS = 2000
_MARKERS = re.compile(r"[*_~`<\[!]")


@dataclass(frozen=True, slots=True)
class Heading:
    level: int
    text: str
    anchor: str


@dataclass(frozen=True, slots=True)
class Rendered:
    html: str
    toc: list[Heading]


def heading_slug(text: str) -> str:
    """GitHub-like anchor that keeps Cyrillic (and any other letters) readable in the URL fragment."""
    text = unicodedata.normalize("NFKC", text).lower().strip()
    text = re.sub(r"[^\w\- ]", "", text)
    text = re.sub(r"[\s-]+", "-", text).strip("-_")
    return text or "section"


def _validate_link(url: str) -> bool:
    match = _SCHEME_RE.match(url.strip())
    # Relative links, anchors and protocol-relative URLs carry no scheme of their own.
    return match is None or match.group(1).lower() in _SAFE_SCHEMES


def _is_external(href: str) -> bool:
    parts = urlsplit(href)
    return parts.scheme in ("http", "https") or (not parts.scheme and href.startswith("//"))


def absolute(href: str, base_url: str) -> str:
    """A site-relative link ("/kb/…") made absolute for a reader outside the site (an email)."""
    if base_url and href.startswith("/") and not href.startswith("//"):
        return base_url.rstrip("/") + href
    return href


def _render_link_open(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    token = tokens[idx]
    if _is_external(str(token.attrGet("href") or "")):
        token.attrSet("rel", _EXTERNAL_REL)
    return self.renderToken(tokens, idx, options, env)


def _heading_ids(state: StateCore) -> None:
    """The anchors plugin's ids (slug, slug-1, slug-2…), given first in linear time: the plugin, which
    keeps an id a heading has, tries every suffix from 1 for each heading (5,000 alike took 7 s)."""
    taken: set[str] = set()
    suffixes: dict[str, int] = {}
    for idx, token in enumerate(state.tokens):
        if token.type != "heading_open" or int(token.tag[1]) > 4:
            continue
        base = heading_slug(_inline_text(state.tokens[idx + 1]))
        anchor, suffix = base, suffixes.get(base, 0)
        while anchor in taken:
            suffix += 1
            anchor = f"{base}-{suffix}"
        suffixes[base] = suffix
        taken.add(anchor)
        token.attrSet("id", anchor)


def _inline(state: StateCore) -> None:
    """markdown-it's own core "inline" step, within the document's budget (see MAX_BRACKETS)."""
    brackets = markers = blocks = 0
    for token in state.tokens:
        if token.type == "inline":
            if token.children is None:
                token.children = []
            brackets += token.content.count("[")
            markers += len(_MARKERS.findall(token.content))
            blocks += 1
            if brackets > MAX_BRACKETS or markers > MAX_MARKERS or blocks > MAX_INLINE_BLOCKS:
                token.children += _plain_children(token.content)
            else:
                state.md.inline.parse(token.content, state.md, state.env, token.children)


def _plain_children(content: str) -> list[Token]:
    """The paragraph's lines as text (escaped when rendered, like any text), in linear time."""
    children = []
    for number, line in enumerate(content.split("\n")):
        if number:
            children.append(Token("softbreak", "br", 0))
        children.append(Token("text", "", 0, content=line))
    return children


@lru_cache(maxsize=1)
def _renderer() -> MarkdownIt:
    # js-default: CommonMark + tables + strikethrough, raw HTML off, linkify off (needs an extra package).
    md = MarkdownIt("js-default", {"html": False, "linkify": False, "typographer": False, "maxNesting": MAX_NESTING})
    md.core.ruler.at("inline", _inline)
    md.use(anchors_plugin, min_level=1, max_level=4, slug_func=heading_slug)
    md.core.ruler.before("anchor", "heading_ids", _heading_ids)
    md.use(footnote_plugin)
    md.use(tasklists_plugin)
    md.validateLink = _validate_link  # type: ignore[method-assign]
    md.add_render_rule("link_open", _render_link_open)
    return md


def _toc(tokens: Sequence[Token]) -> list[Heading]:
    toc = []
    for idx, token in enumerate(tokens):
        anchor = token.attrGet("id") if token.type == "heading_open" else None
        if anchor:
            inline = tokens[idx + 1]
            toc.append(Heading(int(token.tag[1]), _inline_text(inline), str(anchor)))
    return toc


def _inline_text(token: Token) -> str:
    return "".join(child.content for child in token.children or () if child.type in ("text", "code_inline"))


def render(text: str, *, base_url: str = "") -> Rendered:
    """Safe HTML; with `base_url`, site-relative links become absolute (for email)."""
    md = _renderer()
    env: dict = {}
    tokens = md.parse(text, env)
    if base_url:
        for child in (c for t in tokens if t.type == "inline" for c in t.children or ()):
            for attr in ("href", "src"):
                if child.attrGet(attr):
                    child.attrSet(attr, absolute(str(child.attrGet(attr)), base_url))
    return Rendered(html=md.renderer.render(tokens, md.options, env), toc=_toc(tokens))


def plain_text(markdown: str) -> str:
    """The readable words of a Markdown document (no markup, no URLs), for indexing and snippets."""
    md = _renderer()
    parts: list[str] = []
    for token in md.parse(markdown, {}):
        if token.type == "inline":
            parts.append("".join(_plain_inline(token.children or ())))
        elif token.type in ("fence", "code_block"):
            parts.append(token.content.strip())
    return "\n".join(part for part in parts if part.strip())


def _plain_inline(children: Sequence[Token]) -> list[str]:
    out = []
    for child in children:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append(" ")
        elif child.type == "image":
            out.append(child.content)  # the alt text
    return out


def mail_text(markdown: str, base_url: str = "") -> str:
    """Markdown as an email's plain text: paragraphs, "- " lists and indented code kept, markup
    dropped, every link written out as its (absolute) URL."""
    lines: list[str] = []
    prefixes: list[str] = []  # "> " for quotes, list markers for items
    counters: list[int] = []  # the next number of each open list (0: bulleted)
    pending_marker = ""
    row: list[str] | None = None  # the cells of the table row being read
    for token in _renderer().parse(markdown, {}):
        kind = token.type
        if kind == "tr_open":
            row = []
        elif kind == "tr_close" and row is not None:
            lines.append("".join(prefixes) + " | ".join(row))
            row = None
        elif kind == "inline" and row is not None:
            row.append("".join(_mail_inline(token.children or (), base_url)).replace("\n", " "))
        elif kind in ("bullet_list_open", "ordered_list_open"):
            counters.append(int(token.attrGet("start") or 1) if kind == "ordered_list_open" else 0)
        elif kind in ("bullet_list_close", "ordered_list_close"):
            counters.pop()
            lines.append("")
        elif kind == "list_item_open":
            number = counters[-1] if counters else 0
            pending_marker = f"{number}. " if number else "- "
            if number:
                counters[-1] += 1
            prefixes.append(" " * len(pending_marker))
        elif kind == "list_item_close":
            prefixes.pop()
        elif kind == "blockquote_open":
            prefixes.append("> ")
        elif kind == "blockquote_close":
            prefixes.pop()
        elif kind in ("inline", "fence", "code_block", "hr"):
            if kind == "inline":
                text = "".join(_mail_inline(token.children or (), base_url))
            elif kind == "hr":
                text = "----"
            else:
                text = "\n".join("    " + line for line in token.content.rstrip("\n").split("\n"))
            indent = "".join(prefixes)
            for n, line in enumerate(text.split("\n")):
                lead = indent
                if n == 0 and pending_marker:
                    lead = indent[: -len(pending_marker)] + pending_marker
                lines.append((lead + line).rstrip())
            pending_marker = ""
            if kind in ("fence", "code_block") and not counters:
                lines.append("")
        elif kind in ("paragraph_close", "heading_close", "table_close") and not counters:
            lines.append("")
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip() + "\n"


def _mail_inline(children: Sequence[Token], base_url: str) -> list[str]:
    out: list[str] = []
    hrefs: list[tuple[str, int]] = []
    for child in children:
        if child.type in ("text", "code_inline"):
            out.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            out.append("\n")
        elif child.type == "link_open":
            hrefs.append((absolute(str(child.attrGet("href") or ""), base_url), len(out)))
        elif child.type == "link_close" and hrefs:
            href, start = hrefs.pop()
            label = "".join(out[start:])
            if href and label.strip() != href and label.strip() != href.removeprefix("mailto:"):
                out.append(f" ({href})")
        elif child.type == "image":
            src = absolute(str(child.attrGet("src") or ""), base_url)
            out.append(f"{child.content} ({src})" if src else child.content)
    return out

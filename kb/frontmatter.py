"""Articles as text: Markdown files with front matter, and JSONL rows, both read into `ArticleInput`."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from kb.languages import LOCALES
from kb.markdown import plain_text

__all__ = [
    "JSONL",
    "ArticleFormatError",
    "ArticleInput",
    "FrontMatterError",
    "JsonlLayout",
    "JsonlRowError",
    "derive_title",
    "dump",
    "load",
    "parse",
    "rows_from_jsonl",
    "slugify",
]

_KEYS = ("title", "slug", "category", "locale", "translation_key", "tags", "summary")
_KEY_LINE = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s*:(?:\s+(.*))?$")
# Plain (unquoted) values that a YAML reader would turn into something else, or misread, get quotes.
_NEEDS_QUOTES = re.compile(
    r"""^[\s\-?:,\[\]{}#&*!|>'"%@`]|:\s|\s#|\s$|:$|^(?:true|false|yes|no|null|~|[-+.\d].*)$""", re.IGNORECASE
)
_TRANSLIT = dict(
    zip(
        "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
        "a b v g d e e zh z i y k l m n o p r s t u f kh ts ch sh shch - y - e yu ya".split(),
        strict=True,
    )
)
_TITLE_LIMIT = 120


class ArticleFormatError(ValueError):
    """Article text that cannot be read; the message says where and why."""


class FrontMatterError(ArticleFormatError):
    def __init__(self, path: str | Path, message: str) -> None:
        self.path, self.message = str(path), message
        super().__init__(f"{path}: {message}")


class JsonlRowError(ArticleFormatError):
    def __init__(self, line: int, message: str) -> None:
        self.line, self.message = line, message
        super().__init__(f"line {line}: {message}")


@dataclass(frozen=True, slots=True)
class ArticleInput:
    slug: str
    title: str
    body: str
    category: str | None = None
    locale: str = "en"
    tags: tuple[str, ...] = ()
    summary: str | None = None
    translation_key: str | None = None


def slugify(value: str) -> str:
    """Lowercase ASCII letters, digits and dashes; Cyrillic is transliterated, anything else dropped."""
    text = unicodedata.normalize("NFKC", str(value)).lower()
    text = "".join(_TRANSLIT.get(ch, ch) for ch in text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:80].strip("-")
    # An id made only of unsafe characters still needs a stable, unique slug.
    return slug or "item-" + hashlib.sha1(str(value).encode()).hexdigest()[:10]  # noqa: S324


def derive_title(body: str) -> str:
    """The body's first sentence, cut at a word boundary near 120 characters."""
    text = " ".join(plain_text(body).split())
    sentence = re.split(r"(?<=[.!?…])\s", text, maxsplit=1)[0]
    if len(sentence) <= _TITLE_LIMIT:
        return sentence
    cut = sentence[:_TITLE_LIMIT].rsplit(" ", 1)[0] or sentence[:_TITLE_LIMIT]
    return cut.rstrip(" ,;:-") + "…"


# --- Markdown files with front matter ------------------------------------------------------------


def load(path: Path, default_locale: str | None = None) -> ArticleInput:
    return parse(path.read_text(encoding="utf-8"), path, default_locale=default_locale)


def parse(text: str, path: str | Path = "<string>", default_locale: str | None = None) -> ArticleInput:
    lines = text.lstrip("\ufeff").split("\n")
    if lines[0].rstrip() != "---":
        raise FrontMatterError(path, "the file must start with a '---' front matter line")
    try:
        end = next(i for i, line in enumerate(lines[1:], 1) if line.rstrip() in ("---", "..."))
    except StopIteration:
        raise FrontMatterError(path, "the front matter is not closed by a '---' line") from None
    meta: dict[str, str | list[str]] = {}
    for number, line in enumerate(lines[1:end], 2):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _KEY_LINE.match(line)
        if not match:
            raise FrontMatterError(path, f"line {number}: expected 'key: value', got {line.strip()!r}")
        key, raw = match.group(1), (match.group(2) or "").strip()
        if key not in _KEYS:
            raise FrontMatterError(path, f"line {number}: unknown key {key!r} (known: {', '.join(_KEYS)})")
        if key in meta:
            raise FrontMatterError(path, f"line {number}: {key!r} is given twice")
        try:
            meta[key] = _parse_list(raw) if key == "tags" else _parse_scalar(raw)
        except ValueError as exc:
            raise FrontMatterError(path, f"line {number}: {key}: {exc}") from None
    body = "\n".join(lines[end + 1 :]).lstrip("\n")
    title = str(meta.get("title", "")).strip()
    if not title:
        raise FrontMatterError(path, "'title' is required")
    locale = str(meta.get("locale") or default_locale or "")
    if locale not in LOCALES:
        raise FrontMatterError(path, f"'locale' must be one of {', '.join(LOCALES)}, got {locale!r}")
    slug = str(meta.get("slug") or (Path(path).stem if str(path) != "<string>" else title))
    if slugify(slug) != slug:
        raise FrontMatterError(path, f"'slug' {slug!r} is not a safe slug; use {slugify(slug)!r}")
    tags = meta.get("tags", [])
    return ArticleInput(
        slug=slug,
        title=title,
        body=body,
        category=str(meta["category"]) if meta.get("category") else None,
        locale=locale,
        tags=tuple(tags) if isinstance(tags, list) else (tags,),
        summary=str(meta["summary"]) if meta.get("summary") else None,
        translation_key=str(meta["translation_key"]) if meta.get("translation_key") else None,
    )


def _parse_scalar(raw: str) -> str:
    if raw.startswith('"'):
        try:
            value, end = json.JSONDecoder().raw_decode(raw)
        except json.JSONDecodeError:
            raise ValueError(f"unterminated or malformed double-quoted value {raw!r}") from None
        if not isinstance(value, str) or raw[end:].strip():
            raise ValueError(f"unexpected text after the quoted value in {raw!r}")
        return value
    if raw.startswith("'"):
        if len(raw) < 2 or not raw.endswith("'") or "'" in raw[1:-1].replace("''", ""):
            raise ValueError(f"malformed single-quoted value {raw!r}")
        return raw[1:-1].replace("''", "'")
    if raw.startswith(("[", "{", "|", ">")):
        raise ValueError(f"only plain, quoted or (for tags) [a, b] values are supported, got {raw!r}")
    return raw.split(" #", 1)[0].strip()


_SINGLE_QUOTED = re.compile(r"'((?:[^']|'')*)'")
_PLAIN_ITEM = re.compile(r"[^,]*")


def _parse_list(raw: str) -> list[str]:
    if not (raw.startswith("[") and raw.endswith("]")):
        raise ValueError(f"expected a list like [a, b], got {raw!r}")
    inner, pos, items = raw[1:-1], 0, []
    while (pos := len(inner) - len(inner[pos:].lstrip())) < len(inner):
        if inner[pos] == '"':
            try:
                value, pos = json.JSONDecoder().raw_decode(inner, pos)
            except json.JSONDecodeError:
                raise ValueError(f"malformed double-quoted item in {raw!r}") from None
        elif inner[pos] == "'":
            if not (match := _SINGLE_QUOTED.match(inner, pos)):
                raise ValueError(f"unterminated quote in {raw!r}")
            value, pos = match.group(1).replace("''", "'"), match.end()
        else:
            match = _PLAIN_ITEM.match(inner, pos)
            value, pos = match.group().strip(), match.end()
            if any(ch in value for ch in "[]{}\"'"):
                raise ValueError(f"unexpected character in list item {value!r}")
        if not value:
            raise ValueError(f"empty item in {raw!r}")
        items.append(value)
        pos = len(inner) - len(inner[pos:].lstrip())
        if pos < len(inner):
            if inner[pos] != ",":
                raise ValueError(f"expected ',' between list items in {raw!r}")
            pos += 1
    return items


def _quote(value: str) -> str:
    if value and not _NEEDS_QUOTES.search(value) and "\n" not in value:
        return value
    return json.dumps(value, ensure_ascii=False)


def _quote_item(value: str) -> str:
    return json.dumps(value, ensure_ascii=False) if re.search(r"[,\[\]{}\"']", value) else _quote(value)


def dump(article: ArticleInput) -> str:
    """The article as a Markdown file with front matter, readable back by `parse`."""
    lines = ["---", f"title: {_quote(article.title)}", f"slug: {_quote(article.slug)}"]
    if article.category:
        lines.append(f"category: {_quote(article.category)}")
    lines.append(f"locale: {_quote(article.locale)}")
    if article.translation_key:
        lines.append(f"translation_key: {_quote(article.translation_key)}")
    if article.tags:
        lines.append(f"tags: [{', '.join(_quote_item(tag) for tag in article.tags)}]")
    if article.summary:
        lines.append(f"summary: {_quote(article.summary)}")
    return "\n".join([*lines, "---", "", article.body])


# --- JSONL rows ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class JsonlLayout:
    """Which keys of a JSONL row feed which article field; the first non-empty key wins."""

    slug: tuple[str, ...] = ("slug", "id")
    title: tuple[str, ...] = ("title", "question")
    body: tuple[str, ...] = ("body", "answer")
    extra: dict[str, tuple[str, ...]] = field(
        default_factory=lambda: {"category": ("category",), "locale": ("locale",), "tags": ("tags",)}
    )


JSONL = JsonlLayout()


def _first(row: dict, keys: tuple[str, ...]) -> object:
    return next((row[key] for key in keys if row.get(key) not in (None, "")), None)


def rows_from_jsonl(lines: Iterable[str], default_locale: str, layout: JsonlLayout = JSONL) -> Iterator[ArticleInput]:
    """Normalise JSONL rows into articles; a bad row raises `JsonlRowError` naming its line."""
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise JsonlRowError(number, f"not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise JsonlRowError(number, "a row must be a JSON object")
        raw_slug = _first(row, layout.slug)
        if raw_slug is None:
            raise JsonlRowError(number, f"no {' or '.join(layout.slug)}")
        body = str(_first(row, layout.body) or "").strip()
        if not body:
            raise JsonlRowError(number, f"empty {' / '.join(layout.body)}")
        slug = slugify(str(raw_slug))
        if slug in seen:
            raise JsonlRowError(number, f"slug {slug!r} repeats the one on line {seen[slug]}")
        seen[slug] = number
        locale = str(_first(row, layout.extra["locale"]) or default_locale)
        if locale not in LOCALES:
            raise JsonlRowError(number, f"locale must be one of {', '.join(LOCALES)}, got {locale!r}")
        category = _first(row, layout.extra["category"])
        tags = _first(row, layout.extra["tags"]) or []
        tags = tags.split(",") if isinstance(tags, str) else tags
        if not isinstance(tags, list):
            raise JsonlRowError(number, "tags must be a list or a comma-separated string")
        yield ArticleInput(
            slug=slug,
            title=" ".join(str(_first(row, layout.title) or "").split()) or derive_title(body),
            body=body,
            category=slugify(str(category)) if category else None,
            locale=locale,
            tags=tuple(str(tag).strip() for tag in tags if str(tag).strip()),
            summary=str(row["summary"]) if row.get("summary") else None,
            translation_key=str(row["translation_key"]) if row.get("translation_key") else None,
        )

"""Reading one inbound RFC 822 message into what a ticket needs: who sent it, what it answers, its
text without quoted history or signature, its files, and whether a robot sent it. Never raises on
bad input: what cannot be read is replaced, dropped or reported in `problem`."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import Message
from email.utils import collapse_rfc2231_value, getaddresses
from html.parser import HTMLParser

MAX_SUBJECT = 200
MAX_BODY = 20_000
_ADDRESS = re.compile(r"^[^@\s<>()\[\],;:\"\\]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z0-9-]{2,63}$")
_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|sv|vs|tr|ответ|отв|пересл)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_NUMBER = re.compile(r"\[#(\d{1,9})\]")
_ROBOT_SENDERS = ("mailer-daemon@", "postmaster@", "noreply@", "no-reply@", "do-not-reply@", "donotreply@")
# Where the quoted history begins, in the clients people use (English and Russian).
_QUOTE_STARTS = [
    re.compile(p, re.IGNORECASE)
    for p in (
        r"^\s*On .{0,300}wrote:\s*$",
        r"^\s*.{0,300}(пишет|писал|написал|написала)\s*:\s*$",
        r"^\s*-{2,}\s*(Original Message|Forwarded message|Исходное сообщение|Пересылаемое сообщение)\s*-{2,}",
        r"^\s*_{10,}\s*$",  # Outlook's line above "From: … Sent: …"
        r"^\s*(From|От|Von):\s.{0,300}$",
    )
]
_SIGNATURE = re.compile(r"^(-- ?|--|Sent from my .{0,60}|Отправлено с .{0,60})$")


@dataclass(frozen=True, slots=True)
class File:
    filename: str
    data: bytes


@dataclass(slots=True)
class Parsed:
    key: str  # the Message-ID, else a digest of the bytes
    sender: str = ""  # lower-cased address; empty when missing or unusable
    sender_name: str = ""
    subject: str = ""
    text: str = ""  # the whole text (a reply's new words: cut_history(text))
    references: str = ""  # In-Reply-To and References together
    number: int | None = None  # [#N] in the subject
    robot: str = ""  # why a machine sent it (no ticket, no answer)
    problem: str = ""  # why it cannot be read at all
    files: list[File] = field(default_factory=list)
    authentication_failed: bool = False


def clean(text: str) -> str:
    """Text a database takes: bytes the headers smuggled in become U+FFFD, NUL and other controls go."""
    if any("\udc80" <= ch <= "\udcff" for ch in text):
        text = text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
    return "".join(ch for ch in text if ch.isprintable() or ch in "\n\t")


def one_line(text: str) -> str:
    return " ".join(clean(text).split())


def _header(message: Message, name: str) -> str:
    """A header's decoded value (encoded words read), or its raw one when decoding fails; never raises."""
    name = name.lower()
    # The stored value: raw 8-bit bytes in it are kept (as surrogates) for clean() to read as UTF-8.
    raw = next((value for key, value in message.raw_items() if key.lower() == name), None)
    return "" if raw is None else _words(str(raw))


def _words(raw: str) -> str:
    if "=?" not in raw:
        return raw  # nothing encoded; raw 8-bit bytes are read as UTF-8 by clean()
    try:
        return str(make_header(decode_header(raw)))
    except Exception:
        return raw


def _robot(message: Message, sender: str, own_addresses: frozenset[str]) -> str:
    auto = _header(message, "Auto-Submitted").strip().lower()
    if auto and auto != "no":
        return "auto-submitted"
    if _header(message, "Precedence").strip().lower() in {"bulk", "junk", "list"}:
        return "bulk"
    if _header(message, "X-Autoreply") or _header(message, "X-Autorespond") or _header(message, "List-Id"):
        return "bulk"
    if sender.startswith(_ROBOT_SENDERS):
        return "mailer-daemon"
    if sender in own_addresses:
        return "own"
    content_type = message.get_content_type()
    if content_type == "multipart/report":
        return "bounce"
    return ""


def _sender(message: Message) -> tuple[str, str]:
    raw = _header(message, "From")
    if "\r" in raw or "\n" in raw.strip("\r\n"):
        return "", ""
    try:
        pairs = [(n, a) for n, a in getaddresses([raw]) if a]
    except Exception:
        return "", ""
    if len(pairs) != 1:
        return "", ""
    name, address = pairs[0]
    address = address.strip().lower()
    if not _ADDRESS.match(address) or len(address) > 254:
        return "", ""
    return one_line(name)[:200], address


def _subject(raw: str) -> tuple[str, int | None]:
    subject = one_line(raw)
    found = _NUMBER.search(subject)
    subject = _NUMBER.sub(" ", subject)
    subject = _REPLY_PREFIX.sub("", " ".join(subject.split())).strip()
    if len(subject) > MAX_SUBJECT:
        subject = subject[: MAX_SUBJECT - 1].rstrip() + "…"
    return subject, int(found.group(1)) if found else None


class _HtmlText(HTMLParser):
    """HTML as text: scripts, styles and the head dropped, blocks on their own lines, quotes marked."""

    _SKIP = frozenset({"script", "style", "head", "title", "template", "noscript"})
    _BLOCK = frozenset(
        {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "hr", "pre"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.quote = 0

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self._SKIP:
            self.skip += 1
        elif tag == "blockquote":
            self.quote += 1
            self.parts.append("\n")
        elif tag in self._BLOCK:
            self.parts.append("\n")
        if tag == "a":
            href = dict(attrs).get("href") or ""
            self._href = href if href.startswith(("http://", "https://")) else ""

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP:
            self.skip = max(self.skip - 1, 0)
        elif tag == "blockquote":
            self.quote = max(self.quote - 1, 0)
            self.parts.append("\n")
        elif tag in self._BLOCK:
            self.parts.append("\n")
        elif tag == "a" and getattr(self, "_href", ""):
            self.parts.append(f" ({self._href})")
            self._href = ""

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if self.quote:
            data = "\n".join("> " + line if line.strip() else line for line in data.split("\n"))
        self.parts.append(data)

    def text(self) -> str:
        raw = "".join(self.parts).split("\n")
        lines = [line if line.startswith(">") else " ".join(line.split()) for line in raw]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def html_to_text(html: str) -> str:
    parser = _HtmlText()
    try:
        parser.feed(html)
        parser.close()
    except Exception:
        return ""
    return parser.text()


def _decoded(part: Message) -> str:
    """A text part's content; unknown or wrong charsets read as UTF-8, then Windows-1251, with replacements."""
    payload = part.get_payload(decode=True) or b""
    if not isinstance(payload, bytes):
        return str(payload)
    for charset in dict.fromkeys((part.get_content_charset() or "utf-8", "utf-8")):
        try:
            return payload.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
    return payload.decode("cp1251", "replace")


def _attached(part: Message) -> bool:
    return (part.get("Content-Disposition") or "").split(";")[0].strip().lower() == "attachment"


def _body(message: Message) -> Message | None:
    """The first plain-text part that is not an attachment, else the first HTML one."""
    chosen: dict[str, Message] = {}
    for part in message.walk():
        if part.get_content_maintype() == "text" and not _attached(part):
            chosen.setdefault(part.get_content_subtype(), part)
            if "plain" in chosen:
                break
    return chosen.get("plain") or chosen.get("html")


def _text(part: Message) -> str:
    text = _decoded(part)
    return html_to_text(text) if part.get_content_subtype() == "html" else text


def cut_history(text: str) -> str:
    """The new words of a reply: quoted history and signature cut; all of it when nothing is left."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept: list[str] = []
    for line in lines:
        if any(p.match(line) for p in _QUOTE_STARTS) or _SIGNATURE.match(line.rstrip()):
            break
        kept.append(line)
    while kept and (not kept[-1].strip() or kept[-1].lstrip().startswith(">")):
        kept.pop()
    result = "\n".join(kept).strip()
    return result or text.strip()


def _files(message: Message, body: Message | None) -> list[File]:
    """Every part with a file name (a forwarded message's files too), but the text read as the body."""
    found: list[File] = []
    for part in message.walk():
        if part.is_multipart() or part is body or part.get_content_type() == "message/rfc822":
            continue
        try:
            filename = _words(part.get_filename() or collapse_rfc2231_value(part.get_param("name") or ""))
        except Exception:
            filename = ""
        filename = one_line(filename)[:255]
        if not filename:
            continue
        data = part.get_payload(decode=True)
        if isinstance(data, bytes) and data:
            found.append(File(filename, data))
    return found


def parse(raw: bytes, own_addresses: frozenset[str] = frozenset()) -> Parsed:
    """Read a message; on unreadable input `problem` says why and the rest is what could be read."""
    try:
        message = message_from_bytes(raw, policy=policy.compat32)
    except Exception:
        return Parsed(key=_digest(raw), problem="unreadable")
    message_id = one_line(_header(message, "Message-ID"))[:250]
    parsed = Parsed(key=message_id if "@" in message_id else _digest(raw))
    parsed.sender_name, parsed.sender = _sender(message)
    parsed.subject, parsed.number = _subject(_header(message, "Subject"))
    parsed.references = one_line(_header(message, "In-Reply-To") + " " + _header(message, "References"))
    parsed.robot = _robot(message, parsed.sender, own_addresses)
    results = _header(message, "Authentication-Results").lower()
    parsed.authentication_failed = any(f"{check}=fail" in results for check in ("dmarc", "spf", "dkim"))
    if not parsed.sender:
        parsed.problem = "sender_unusable"
    if parsed.robot or parsed.problem:
        return parsed
    try:
        body = _body(message)
        text = clean(_text(body)) if body is not None else ""
        parsed.files = _files(message, body)
    except Exception:
        text = ""
    if len(text) > MAX_BODY:
        text = text[: MAX_BODY - 1] + "…"
    parsed.text = text
    return parsed


def _digest(raw: bytes) -> str:
    return "sha256:" + hashlib.sha256(raw).hexdigest()

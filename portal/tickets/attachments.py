"""Files attached to tickets: the allow-list, what a file really is, and content-addressed storage."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import anyio.to_thread

from auth.tables import User
from portal.tickets import visibility
from portal.tickets.errors import TicketError, TicketNotFound
from portal.tickets.tables import Attachment

MAX_FILES = 5
MAX_NAME = 255
HEAD = 8192  # enough to tell a file's kind, and to catch a web page renamed to .txt
CHUNK = 1024 * 1024
# A stored file no row refers to after this long was left by a crash between storing and recording
# (a recording transaction takes milliseconds); so is a half-written ".incoming-" file.
ORPHAN_AFTER_S = 3600.0
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# A text file that opens like this is a web page or an image a browser would run scripts in.
_MARKUP = (b"<!doctype", b"<html", b"<head", b"<body", b"<script", b"<svg", b"<?xml", b"<iframe", b"<object")


class AttachmentRefused(TicketError):
    """A file that may not be attached; `filename` says which, as the person chose it."""

    def __init__(self, code: str, filename: str = "") -> None:
        super().__init__(code, "attachments")
        self.filename = filename


def _is_text(head: bytes) -> bool:
    opening = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return b"\x00" not in head and not opening.startswith(_MARKUP)


@dataclass(frozen=True, slots=True)
class Kind:
    content_type: str  # what we serve it as, whatever the browser that sent it claimed
    inline: bool  # shown in the browser (pictures) rather than downloaded
    looks_right: Callable[[bytes], bool]


_PNG = Kind("image/png", True, lambda h: h.startswith(b"\x89PNG\r\n\x1a\n"))
_JPEG = Kind("image/jpeg", True, lambda h: h.startswith(b"\xff\xd8\xff"))
_TEXT = Kind("text/plain", False, _is_text)
KINDS: dict[str, Kind] = {
    "png": _PNG,
    "jpg": _JPEG,
    "jpeg": _JPEG,
    "gif": Kind("image/gif", True, lambda h: h[:6] in (b"GIF87a", b"GIF89a")),
    "webp": Kind("image/webp", True, lambda h: h[:4] == b"RIFF" and h[8:12] == b"WEBP"),
    "pdf": Kind("application/pdf", False, lambda h: h.startswith(b"%PDF-")),
    "txt": _TEXT,
    "log": _TEXT,
    "csv": Kind("text/csv", False, _is_text),
    "zip": Kind("application/zip", False, lambda h: h[:4] in (b"PK\x03\x04", b"PK\x05\x06")),
}
INLINE_TYPES = frozenset(kind.content_type for kind in KINDS.values() if kind.inline)


@dataclass(frozen=True, slots=True)
class Incoming:
    """A file as a form delivered it: the name the browser sent and its (spooled) contents."""

    filename: str
    stream: BinaryIO


@dataclass(frozen=True, slots=True)
class Checked:
    filename: str
    content_type: str
    size: int
    sha256: str
    stream: BinaryIO


def clean_name(raw: str) -> str:
    """The last path part, printable, at most 255 characters with its extension kept."""
    name = (raw or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip().lstrip(".")
    stem, dot, extension = name.rpartition(".")
    if dot and len(name) > MAX_NAME:
        name = f"{stem[: MAX_NAME - len(extension) - 1]}.{extension}"
    return name[:MAX_NAME] or "file"


def extension(name: str) -> str:
    stem, dot, ext = name.rpartition(".")
    return ext.lower() if dot and stem else ""


def inspect(incoming: Incoming, max_bytes: int) -> Checked:
    """Check one file (blocking: run it in a thread): an allowed extension, contents of that kind,
    within the size limit. Reads it once, hashing as it goes."""
    name = clean_name(incoming.filename)
    kind = KINDS.get(extension(name))
    if kind is None:
        raise AttachmentRefused("attachment_type_refused", name)
    stream = incoming.stream
    stream.seek(0)
    head = stream.read(HEAD)
    if not head:
        raise AttachmentRefused("attachment_empty", name)
    if not kind.looks_right(head):
        raise AttachmentRefused("attachment_content_mismatch", name)
    digest, size = hashlib.sha256(head), len(head)
    while size <= max_bytes and (chunk := stream.read(CHUNK)):
        digest.update(chunk)
        size += len(chunk)
    if size > max_bytes:
        raise AttachmentRefused("attachment_too_large", name)
    return Checked(name, kind.content_type, size, digest.hexdigest(), stream)


def path_of(data_dir: Path, sha256: str) -> Path:
    if not _SHA256.match(sha256):
        raise TicketNotFound()
    return data_dir / "attachments" / sha256[:2] / sha256


def store(data_dir: Path, checked: Checked) -> Path:
    """Write the file under its hash (blocking). Written beside its place and renamed in, so no
    reader ever sees half a file; never executable; the same contents are kept once."""
    target = path_of(data_dir, checked.sha256)
    if target.exists():
        os.utime(target)  # in use again: the orphan sweep leaves recently touched files alone
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    checked.stream.seek(0)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
    try:
        with os.fdopen(fd, "wb") as out:
            while chunk := checked.stream.read(CHUNK):
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(temporary, 0o640)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target


def _check_all(files: Sequence[Incoming], max_bytes: int) -> list[Checked]:
    if len(files) > MAX_FILES:
        raise AttachmentRefused("attachment_too_many")
    return [inspect(incoming, max_bytes) for incoming in files]


async def check_all(files: Sequence[Incoming], max_bytes: int) -> list[Checked]:
    """Every file checked before anything is written: one refused file refuses them all."""
    return await anyio.to_thread.run_sync(_check_all, files, max_bytes)


async def store_all(data_dir: Path, checked: Sequence[Checked]) -> None:
    def run() -> None:
        for item in checked:
            store(data_dir, item)

    await anyio.to_thread.run_sync(run)


async def discard_unreferenced(data_dir: Path, checked: Sequence[Checked]) -> None:
    """After a failed write: remove the stored files no attachment row refers to (the same contents
    may belong to another ticket, whose copy stays)."""
    for item in checked:
        if not await Attachment.exists().where(Attachment.sha256 == item.sha256):
            await anyio.to_thread.run_sync(lambda sha=item.sha256: path_of(data_dir, sha).unlink(missing_ok=True))


def _old_files(data_dir: Path, now: float) -> list[Path]:
    root = data_dir / "attachments"
    if not root.is_dir():
        return []
    return [
        path
        for folder in root.iterdir()
        if folder.is_dir()
        for path in folder.iterdir()
        if path.is_file() and now - path.stat().st_mtime > ORPHAN_AFTER_S
    ]


def _remove_if_still_old(path: Path, now: float) -> bool:
    try:
        if now - path.stat().st_mtime > ORPHAN_AFTER_S:
            path.unlink()
            return True
    except FileNotFoundError:
        pass
    return False


async def sweep_orphans(data_dir: Path) -> int:
    """Remove stored files that no attachment row refers to and that nobody touched for an hour, and
    half-written uploads: what a crash leaves behind. Returns how many were removed."""
    now = time.time()
    old = await anyio.to_thread.run_sync(_old_files, data_dir, now)
    stored = {path.name: path for path in old if _SHA256.match(path.name)}
    orphans = [path for path in old if path.name.startswith(".incoming-")]
    names = sorted(stored)
    for start in range(0, len(names), 500):
        chunk = names[start : start + 500]
        kept = {
            row["sha256"] for row in await Attachment.select(Attachment.sha256).where(Attachment.sha256.is_in(chunk))
        }
        orphans += [stored[name] for name in chunk if name not in kept]

    def remove() -> int:
        return sum(_remove_if_still_old(path, now) for path in orphans)

    return await anyio.to_thread.run_sync(remove)


async def record(ticket_id: int, message_id: int | None, uploader_id: int, checked: Sequence[Checked]) -> None:
    """The attachment rows, inside the caller's transaction (the files are already stored)."""
    if checked:
        await Attachment.insert(
            *(
                Attachment(
                    ticket=ticket_id,
                    message=message_id,
                    filename=item.filename,
                    content_type=item.content_type,
                    size=item.size,
                    sha256=item.sha256,
                    uploaded_by=uploader_id,
                )
                for item in checked
            )
        )


async def public_of(ticket_id: int) -> list[dict]:
    """The files the customer may see on a ticket, oldest first."""
    return (
        await Attachment.select(
            Attachment.id, Attachment.message, Attachment.filename, Attachment.content_type, Attachment.size
        )
        .where(visibility.files_seen_by(None, ticket_id))
        .order_by(Attachment.id)
    )


async def file_of(viewer: User, ticket_id: int, attachment_id: int) -> Attachment:
    """One of the ticket's files the viewer may fetch (visibility.files_seen_by); TicketNotFound for
    anything else, internal notes' files included."""
    where = visibility.files_seen_by(viewer, ticket_id)
    found = await Attachment.objects().where(where & (Attachment.id == attachment_id)).first()
    if found is None:
        raise TicketNotFound()
    return found

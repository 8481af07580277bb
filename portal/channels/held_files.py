"""The files of a held message, kept in the data directory until staff decide on it: accepted, they
are attached to the new ticket (through the same allow-list as any mail); discarded, they go."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

from portal.channels.parsing import File
from portal.settings import Settings


def _folder(settings: Settings, message_key: str) -> Path:
    # By the message, not the row: a row id may come back after a rolled-back transaction.
    return settings.data_dir / "held" / hashlib.sha256(message_key.encode()).hexdigest()[:40]


def keep(settings: Settings, message_key: str, files: list[File]) -> None:
    if not files:
        return
    folder = _folder(settings, message_key)
    folder.mkdir(parents=True, exist_ok=True)
    for n, file in enumerate(files):
        (folder / f"{n}.bin").write_bytes(file.data)
    (folder / "names.json").write_text(json.dumps([file.filename for file in files]), encoding="utf-8")


def taken(settings: Settings, message_key: str) -> list[File]:
    folder = _folder(settings, message_key)
    try:
        names = json.loads((folder / "names.json").read_text(encoding="utf-8"))
        return [File(name, (folder / f"{n}.bin").read_bytes()) for n, name in enumerate(names)]
    except (OSError, ValueError):
        return []


def forget(settings: Settings, message_key: str) -> None:
    shutil.rmtree(_folder(settings, message_key), ignore_errors=True)

"""Whether a generation's files are whole: the structural check a reader passes before it trusts them.

Whoosh trusts its files: a truncated segment read through a memory map kills the process (SIGBUS), and
garbage yields wrong answers or any exception at all. Segments are therefore opened without mmap
(kb.search.store), and before a searcher is opened, or reused after any file of its generation
changed, the generation is checked here: the TOC must unpickle, every segment it names must exist,
and a compound segment's size must be exactly what its own header and directory say it is (Whoosh
writes the directory last, so a cut anywhere moves the end away from where the header points).
That is a handful of small reads per segment, done once per set of file states.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from whoosh.filedb.filestore import FileStorage
from whoosh.index import TOC

__all__ = ["GENERATION_NAME", "INDEX_NAME", "Damaged", "file_states", "verify"]

INDEX_NAME = "MAIN"  # Whoosh's default index name, the one every generation is written with
GENERATION_NAME = re.compile(r"gen-[0-9a-f]{12}")
_HEADER = 8 + 4  # the compound header: directory offset (long), directory length (int)
_LOCKS = {f"{INDEX_NAME}_WRITELOCK"}


class Damaged(Exception):
    """A file of the generation is missing, cut short or not what Whoosh wrote; the text says which."""


def file_states(gen_dir: str | Path) -> tuple[tuple[str, int, int, int], ...]:
    """(name, size, mtime_ns, inode) of every file: any write, truncation, replacement or deletion
    changes it. Raises FileNotFoundError when the directory itself is gone."""
    states = []
    with os.scandir(gen_dir) as entries:
        for entry in entries:
            if entry.name in _LOCKS:
                continue
            try:
                info = entry.stat()
            except FileNotFoundError:  # removed between listing and stat: a writer cleaning up
                continue
            states.append((entry.name, info.st_size, info.st_mtime_ns, info.st_ino))
    return tuple(sorted(states))


def verify(storage: FileStorage, schema: object) -> None:
    """Raises Damaged unless the latest TOC and every segment it names are structurally whole."""
    try:
        toc = TOC.read(storage, INDEX_NAME, schema=schema)
    except Exception as exc:  # whatever garbage makes the unpickler or Whoosh raise, it means damage
        raise Damaged(f"the table of contents cannot be read ({type(exc).__name__}: {exc})") from exc
    for segment in toc.segments:
        if segment.is_compound():
            _verify_compound(storage, segment.make_filename(segment.COMPOUND_EXT))
        else:
            names = segment.list_files(storage)
            if not names:
                raise Damaged(f"segment {segment.segment_id()} has no files")
            for name in names:
                if storage.file_length(name) == 0:
                    raise Damaged(f"{name} is empty")


def _verify_compound(storage: FileStorage, name: str) -> None:
    try:
        size = storage.file_length(name)
    except OSError as exc:
        raise Damaged(f"{name} is missing") from exc
    if size < _HEADER:
        raise Damaged(f"{name} is cut short ({size} bytes)")
    try:
        with storage.open_file(name) as handle:
            dir_offset, dir_length = handle.read_long(), handle.read_int()
            if dir_offset < _HEADER or dir_length <= 0 or dir_offset + dir_length != size:
                raise Damaged(f"{name} is {size} bytes, its header says {dir_offset + dir_length}")
            handle.seek(dir_offset)
            directory = handle.read_pickle()
    except Damaged:
        raise
    except Exception as exc:  # a header or directory that does not decode is damage, whatever the error
        raise Damaged(f"{name} has an unreadable directory ({type(exc).__name__}: {exc})") from exc
    if not isinstance(directory, dict):
        raise Damaged(f"{name} has an unreadable directory")
    for part, info in directory.items():
        try:
            start, length = int(info["offset"]), int(info["length"])
        except (TypeError, KeyError, ValueError) as exc:
            raise Damaged(f"{name} has an unreadable directory entry for {part!r}") from exc
        if start < _HEADER or length < 0 or start + length > dir_offset:
            raise Damaged(f"{name}: {part!r} lies outside the file")

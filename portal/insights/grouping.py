"""Grouping tickets that ask the same question (a first version: tickets sharing most of their stems)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from kb.search.analysis import STOP_WORDS, stem, words


@dataclass(frozen=True, slots=True)
class Item:
    key: int
    text: str
    locale: str = "en"


@dataclass(frozen=True, slots=True)
class Group:
    keys: tuple[int, ...]
    representative: int


def _terms(text: str) -> set[str]:
    return {stem(w) for w in words(text) if w not in STOP_WORDS and not w.isdigit()}


def group(
    items: Sequence[Item],
    *,
    must_link: Iterable[tuple[int, int]] = (),
    cannot_link: Iterable[tuple[int, int]] = (),
    progress: Callable[[int, int], None] | None = None,
) -> list[Group]:
    terms = {item.key: _terms(item.text) for item in items}
    parent = {key: key for key in terms}

    def find(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    keys = list(terms)
    for i, a in enumerate(keys):
        for b in keys[i + 1 :]:
            union = terms[a] | terms[b]
            if union and len(terms[a] & terms[b]) / len(union) >= 0.5:
                parent[find(a)] = find(b)
    for a, b in must_link:
        if a in parent and b in parent:
            parent[find(a)] = find(b)
    clusters: dict[int, list[int]] = {}
    for key in keys:
        clusters.setdefault(find(key), []).append(key)
    cannot = list(cannot_link)
    result = []
    for members in clusters.values():
        for t, anchor in cannot:
            if t in members and anchor in members:
                members.remove(t)
        if len(members) >= 2:
            result.append(Group(keys=tuple(members), representative=members[0]))
    return sorted(result, key=lambda g: (-len(g.keys), g.keys))

"""Recurring questions: grouping support tickets that ask the same thing, with staff's merges and splits."""

from __future__ import annotations

import zlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from portal.insights.textsim import Vector, dot, neighbours, vectorise

__all__ = ["Group", "Item", "group"]

NEIGHBOURS = 15  # the similarity graph links each ticket to its most similar others
RESOLUTION = 5.0  # community detection: higher splits more; questions are small next to a whole inbox
# Modularity judges links against the whole inbox and would split every small inbox into one-offs, so a
# group may also form where its tickets' mean squared similarity passes this absolute floor.
MIN_DENSITY = 0.1
RUNS = 5  # community detections in different orders; tickets stay together only if every run agrees
CORE_SHARE = 0.74  # a member keeps this share of its similarity weight inside its group, or it leaves


@dataclass(frozen=True, slots=True)
class Item:
    key: int  # ticket id
    text: str  # subject + description
    locale: str = "en"  # "en" or "ru"; the script of each word picks its stemmer


@dataclass(frozen=True, slots=True)
class Group:
    keys: tuple[int, ...]  # members, most representative first
    representative: int  # the key of the member closest to all the others


def group(
    items: Sequence[Item],
    *,
    must_link: Iterable[tuple[int, int]] = (),
    cannot_link: Iterable[tuple[int, int]] = (),
    progress: Callable[[int, int], None] | None = None,
) -> list[Group]:
    """Groups of two or more tickets asking the same question, largest first; other tickets are left out.

    must_link (a, b): a and b end in one group, with everything grouped with either. cannot_link (t, anchor):
    t is not grouped with anchor (t leaves the group). Pairs naming unknown keys are ignored.

    Each ticket is linked to its most similar tickets (TF-IDF of stems); communities of that graph that
    several Louvain runs agree on, without members mostly linked elsewhere, are the groups. Precision comes
    first: a wrong member misleads whoever answers the group, a missing one only leaves a ticket out.
    """
    # A canonical order (a hash of the text, then the key) makes the result independent of the input's order.
    items = sorted({item.key: item for item in items}.values(), key=lambda it: (_hash(it.text), it.key))
    n = len(items)
    total = n * (RUNS + 1) or 1

    def report(done: int) -> None:
        if progress:
            progress(min(done, total), total)

    clusters: list[list[int]] = []
    vectors: list[Vector] = []
    if n >= 2:
        vectors = vectorise([item.text for item in items])
        graph = _graph(neighbours(vectors, NEIGHBOURS, report))
        report(n)
        labels = [0] * n
        for run in range(RUNS):
            order = sorted(range(n), key=lambda i: (_hash(f"{run}\x00{items[i].text}"), items[i].key))
            agreed: dict[tuple[int, int], int] = {}
            labels = [agreed.setdefault(pair, len(agreed)) for pair in zip(labels, _louvain(graph, order), strict=True)]
            report(n * (run + 2))
        clusters = _cores(labels, graph)
    clusters = _apply_constraints(clusters, items, must_link, cannot_link)
    groups = [_ranked(members, items, vectors) for members in clusters]
    report(total)
    return sorted(groups, key=lambda g: (-len(g.keys), g.representative))


def _hash(text: str) -> int:
    return zlib.crc32(text.encode())


def _graph(nearest: list[list[tuple[int, float]]]) -> list[dict[int, float]]:
    """Symmetric weighted kNN graph; squared cosine lets close paraphrases outweigh loose topical links."""
    graph: list[dict[int, float]] = [{} for _ in nearest]
    for i, row in enumerate(nearest):
        for j, similarity in row:
            if similarity > 0:
                weight = similarity * similarity
                graph[i][j] = graph[j][i] = max(weight, graph[i].get(j, 0.0))
    return graph


def _louvain(graph: list[dict[int, float]], order: list[int]) -> list[int]:
    """Community per node by Louvain optimisation, visiting nodes in `order`.

    Joining a community pays for the link weight one would expect anyway: by modularity at RESOLUTION
    (against the whole inbox), or by MIN_DENSITY per pair of tickets, whichever is less. The second only
    matters in small inboxes, where modularity would forbid nearly every group.
    """
    community_of = list(range(len(graph)))
    level = [list(row.items()) for row in graph]
    loops = [0.0] * len(graph)  # link weight inside each aggregated node
    tickets = [1] * len(graph)
    total = sum(sum(row.values()) for row in graph)
    scale = RESOLUTION / total if total else 0.0
    while total:
        size = len(level)
        degree = [sum(w for _, w in row) + 2 * loop for row, loop in zip(level, loops, strict=True)]
        membership = list(range(size))
        volume, members = degree[:], tickets[:]
        moved = False
        for _ in range(50):
            changed = False
            for i in order:
                current, k_i, n_i = membership[i], degree[i], tickets[i]
                links: dict[int, float] = defaultdict(float)
                for j, w in level[i]:
                    links[membership[j]] += w
                volume[current] -= k_i
                members[current] -= n_i
                by_volume, by_members = scale * k_i, MIN_DENSITY * n_i
                modular, dense = by_volume * volume[current], by_members * members[current]
                best, best_gain = current, links.get(current, 0.0) - (modular if modular < dense else dense)
                for candidate, w in links.items():
                    modular, dense = by_volume * volume[candidate], by_members * members[candidate]
                    gain = w - (modular if modular < dense else dense)
                    if gain > best_gain + 1e-12:
                        best, best_gain = candidate, gain
                volume[best] += k_i
                members[best] += n_i
                if best != current:
                    membership[i] = best
                    changed = moved = True
            if not changed:
                break
        if not moved:
            break
        renumber: dict[int, int] = {}
        for i in order:
            renumber.setdefault(membership[i], len(renumber))
        membership = [renumber[c] for c in membership]
        community_of = [membership[c] for c in community_of]
        merged: list[dict[int, float]] = [defaultdict(float) for _ in renumber]
        new_loops = [0.0] * len(renumber)
        new_tickets = [0] * len(renumber)
        for i in range(size):
            ci = membership[i]
            new_loops[ci] += loops[i]
            new_tickets[ci] += tickets[i]
            for j, w in level[i]:
                cj = membership[j]
                if cj == ci:
                    new_loops[ci] += w / 2  # each inner edge is seen from both ends
                else:
                    merged[ci][cj] += w
        level, loops, tickets = [list(row.items()) for row in merged], new_loops, new_tickets
        order = list(range(len(level)))  # communities were numbered in visiting order
        if len(level) == size:
            break
    return community_of


def _cores(labels: list[int], graph: list[dict[int, float]]) -> list[list[int]]:
    """Communities without their fringe: members whose similarity lies mostly elsewhere are dropped."""
    members: dict[int, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        members[label].append(i)
    clusters = []
    for nodes in members.values():
        inside = set(nodes)
        core = [
            i
            for i in nodes
            if sum(w for j, w in graph[i].items() if j in inside) >= CORE_SHARE * sum(graph[i].values())
        ]
        if len(core) >= 2:
            clusters.append(core)
    return clusters


def _apply_constraints(
    clusters: list[list[int]],
    items: Sequence[Item],
    must_link: Iterable[tuple[int, int]],
    cannot_link: Iterable[tuple[int, int]],
) -> list[list[int]]:
    """Staff decisions win over similarity: merges join whole groups, a split removes the moved ticket."""
    index = {item.key: i for i, item in enumerate(items)}
    parent = list(range(len(items)))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)

    grouped = set()
    for members in clusters:
        grouped.update(members)
        for other in members[1:]:
            union(members[0], other)
    for a, b in sorted(must_link):
        if a in index and b in index and a != b:
            union(index[a], index[b])
            grouped.update((index[a], index[b]))
    by_root: dict[int, list[int]] = defaultdict(list)
    for i in sorted(grouped):
        by_root[find(i)].append(i)
    removed = set()
    for t, anchor in sorted(cannot_link):
        if t in index and anchor in index and t != anchor and find(index[t]) == find(index[anchor]):
            removed.add(index[t])
    return [kept for members in by_root.values() if len(kept := [i for i in members if i not in removed]) >= 2]


def _ranked(members: list[int], items: Sequence[Item], vectors: list[Vector]) -> Group:
    """Members by closeness to the group's centroid: the first is the medoid-like representative."""
    centroid: Vector = defaultdict(float)
    for i in members:
        for term, w in vectors[i].items():
            centroid[term] += w
    ranked = sorted(members, key=lambda i: (-dot(vectors[i], centroid), items[i].key))
    keys = tuple(items[i].key for i in ranked)
    return Group(keys=keys, representative=keys[0])

"""Ticket text similarity for grouping: noise removal, corpus spelling fixes, TF-IDF vectors, nearest neighbours."""

from __future__ import annotations

import heapq
import itertools
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence

from kb.search.analysis import STOP_WORDS, stem, words

__all__ = ["Vector", "content_words", "dot", "neighbours", "vectorise"]

Vector = dict[str, float]

# What makes two tickets look alike without making them the same question: template placeholders,
# addresses, links, and a name after a title ("from Ms. Hawkings" names a customer, not a topic).
_NOISE_RE = re.compile(
    r"\{\{.*?\}\}|\{[^{}\s]*\}|<[^<>]{1,40}>|\S+@\S+\.\w+|(?i:https?://|www\.)\S+"
    r"|\b(?:Mr|Mrs|Ms|Miss|Dr|Mister|Madam)\.?\s+[A-Z]\w*(?:\s+[A-Z]\w*)?"  # capitals: "I miss my parcel" stays
    r"|(?i:\b(?:добрый\s+(?:день|вечер)|доброе\s+утро|доброго\s+времени\s+суток)\b)"
)
_EDGE_DIGITS_RE = re.compile(r"^\d+|\d+$")
# Politeness and swearing say how a question is asked, not what it is about.
_NOISE_WORDS = frozenset(
    "hi hello hey hiya thanks thank thx please pls plz dear regards greetings cheers ok okay"
    " fuck fucking fucked fuckin damn damned goddamn goddamned bloody shit shitty crap crappy freaking frigging"
    " здравствуйте здравствуй привет спасибо благодарю пожалуйста уважаемые уважаемый уважаемая блин".split()
)
# Negation is a stop word for search but decides the question here ("card not working" is not "card working").
_NEGATIONS = frozenset(
    "not no nor never cannot cant dont didnt doesnt isnt wont won don didn doesn isn aren wasn weren hasn haven"
    " hadn couldn wouldn shouldn не нет ни".split()
)
# Particles that turn a verb into another question ("top up", "log out", "sign up"); stop words otherwise.
_PARTICLES = frozenset("up out off".split())

BIGRAM_WEIGHT = 0.15  # a pair of neighbouring words confirms a match more than it makes one
IDF_FLOOR = 6.0  # short tickets: a common word still means something, and a one-off word must not dominate
FREQUENT_SHARE = 0.03  # words in more tickets than this find neighbours only through rarer words


def content_words(text: str) -> list[str]:
    """The folded words of a ticket that can say what it asks: no stop words, numbers, ids or courtesies."""
    out = []
    for word in words(_NOISE_RE.sub(" ", text)):
        if not word.isalpha():
            # "order113542617735902" is a word glued to an id; "a1b2c3" is only an id.
            word = _EDGE_DIGITS_RE.sub("", word)
            if not word.isalpha() or len(word) < 3:
                continue
        if word in _NEGATIONS:
            out.append("not")
        elif word in _PARTICLES:
            out.append(word)
        elif len(word) > 1 and word not in STOP_WORDS and word not in _NOISE_WORDS:
            out.append(word)
    return out


def _deletions(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


def _spelling_fixes(docs: list[list[str]]) -> dict[str, str]:
    """Rare words one edit away from a much more frequent word, mapped to it (symmetric deletions)."""
    df = Counter(word for doc in docs for word in set(doc))
    index: dict[str, list[str]] = defaultdict(list)
    for word, count in df.items():
        if count >= 3 and len(word) >= 4:
            index[word].append(word)
            for deleted in _deletions(word):
                index[deleted].append(word)
    fixes = {}
    for word, count in df.items():
        if count > 2 or len(word) < 4:
            continue
        candidates = set(index.get(word, ()))
        for deleted in _deletions(word):
            candidates.update(index.get(deleted, ()))
        candidates.discard(word)
        if candidates:
            best = max(candidates, key=lambda c: (df[c], c))
            if df[best] >= 5 * count:
                fixes[word] = best
    return fixes


def vectorise(texts: Sequence[str]) -> list[Vector]:
    """Unit-length TF-IDF vectors of stems and neighbouring stem pairs, one per text."""
    docs = [content_words(text) for text in texts]
    fixes = _spelling_fixes(docs)
    features = []
    for doc in docs:
        stems = [stem(fixes.get(word, word)) for word in doc]
        counts = Counter(stems)
        counts.update(f"{a} {b}" for a, b in itertools.pairwise(stems) if a != b)
        features.append(counts)
    n = len(features)
    df = Counter(term for counts in features for term in counts)
    vectors = []
    for counts in features:
        vector = {}
        for term, tf in counts.items():
            weight = (1.0 + math.log(tf)) * (math.log(n / df[term]) + IDF_FLOOR)
            vector[term] = weight * BIGRAM_WEIGHT if " " in term else weight
        norm = math.sqrt(sum(w * w for w in vector.values())) or 1.0
        vectors.append({term: w / norm for term, w in vector.items()})
    return vectors


def dot(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(term, 0.0) for term, w in a.items())


def neighbours(
    vectors: Sequence[Vector], k: int, progress: Callable[[int], None] | None = None
) -> list[list[tuple[int, float]]]:
    """Each vector's k most cosine-similar others (best first), through an inverted index.

    Postings of very frequent terms are long and rarely decide a neighbour, so they only score the
    candidates that rarer terms found (except a text's rarest term, so all-common texts still match).
    """
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for i, vector in enumerate(vectors):
        for term, w in vector.items():
            postings[term].append((i, w))
    cap = max(50, int(FREQUENT_SHARE * len(vectors)))
    result = []
    for i, vector in enumerate(vectors):
        terms = sorted(vector, key=lambda t: (len(postings[t]), t))
        scores: dict[int, float] = defaultdict(float)
        frequent = []
        for rank, term in enumerate(terms):
            if rank and len(postings[term]) > cap:
                frequent.append(term)
                continue
            w = vector[term]
            for j, wj in postings[term]:
                scores[j] += w * wj
        for j in scores:
            other = vectors[j]
            scores[j] += sum(vector[t] * other.get(t, 0.0) for t in frequent)
        scores.pop(i, None)
        result.append(heapq.nlargest(k, scores.items(), key=lambda item: (item[1], -item[0])))
        if progress and i % 256 == 0:
            progress(i)
    return result

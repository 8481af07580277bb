"""Meaning beyond shared words: a text's vector is the average of its tokens' static embeddings.

The embeddings are WordLlama's (`l2_supercat`, 256 dimensions, MIT), read from the files its PyPI
package ships, so nothing is downloaded at run time. A vector costs a tokenizer call and a sum over a
few dozen rows (under 0.1 ms), cheap enough to embed every query and, at index time, every article.
The index stores each article's vector; the second stage of ranking adds the cosine between the
query's vector and each candidate's (kb.search.ranking): among articles that match the same words,
"when will my order get here" prefers "Order delivery times" to "Order history export". The
tokenizer knows English far better than Russian (Cyrillic words split into short pieces), so the
signal is weaker in Russian.
"""

from __future__ import annotations

import importlib.util
import json
import logging
import mmap
import threading
from collections.abc import Iterable, Iterator
from itertools import islice
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

from kb.search.model import IndexDoc

__all__ = ["DIMENSIONS", "EMBEDDER", "Embedder", "decode", "document_text", "encode", "with_vectors"]

log = logging.getLogger("kb.search")
DIMENSIONS = 256
_WEIGHTS = "weights/l2_supercat_256.safetensors"
_TOKENIZER = "tokenizers/l2_supercat_tokenizer_config.json"
# An article's vector reads its title, its summary and the start of its body: the body's first
# sentences say what it is about; the rest dilutes the average.
_BODY_CHARS = 200
_MAX_TEXT_CHARS = 1000
# Words whose tokens are kept (about 150 bytes each): queries repeat their words far more than whole
# queries repeat, and articles share most of theirs. Past this many the memo starts again.
_WORDS_KEPT = 20_000


def _package_dir(package: str) -> Path | None:
    # find_spec locates the package without importing it (its API would import a hub client).
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


class Embedder:
    """Loads the tokenizer and the embedding table on first use; thread-safe.

    Without the package (it ships wheels for x86-64 Linux and Windows only), every vector is zero:
    search ranks by words alone, and the index records that it has no vectors, so it is rebuilt
    once the package is installed (`load()` says which)."""

    def __init__(self, package: str = "wordllama") -> None:
        self.package = package
        self._lock = threading.Lock()
        self._model: tuple[Tokenizer, np.ndarray] | None = None
        self._looked = False
        self._word_ids: dict[str, tuple[int, ...]] = {}  # tuples of ints: the collector stops tracking them

    def _loaded(self) -> tuple[Tokenizer, np.ndarray] | None:
        with self._lock:
            if not self._looked:
                self._looked = True
                base = _package_dir(self.package)
                if base is None:
                    log.warning("search ranks by words alone: the %s package is not installed", self.package)
                else:
                    tokenizer = Tokenizer.from_file(str(base / _TOKENIZER))
                    self._model = (tokenizer, mapped_table(base / _WEIGHTS))
            return self._model

    def load(self) -> bool:
        """Load the embeddings now rather than in the first search; whether texts get real vectors."""
        return self._loaded() is not None

    def embed(self, text: str) -> np.ndarray:
        """The unit-length float32 vector of `text` (all zeros when it has no tokens)."""
        model = self._loaded()
        if model is None:
            return np.zeros(DIMENSIONS, dtype=np.float32)
        tokenizer, table = model
        return _direction(table, self._ids(tokenizer, text[:_MAX_TEXT_CHARS]))

    def _ids(self, tokenizer: Tokenizer, text: str) -> list[int]:
        """The tokenizer's ids of `text`, a word at a time from a memo of words.

        The tokenizer reads a text as one "word" (its normalizer turns each space into "▁", and it has no
        pre-tokenizer), so its own cache never serves a query not asked before, and a query's tokens cost
        it 25-100 µs. No token has "▁" after its first character except runs of "▁" alone, so no merge
        crosses a space: word by word gives the same ids, unless spaces come in a run or lead the text
        (then the tokenizer is asked)."""
        if not text or text[0] == " " or "  " in text:
            return tokenizer.encode(text, add_special_tokens=False).ids
        memo = self._word_ids
        ids: list[int] = []
        for word in text.split(" "):
            found = memo.get(word)
            if found is None:
                if len(memo) >= _WORDS_KEPT:
                    memo.clear()
                found = memo[word] = tuple(token.id for token in tokenizer.model.tokenize("▁" + word))
            ids += found
        return ids

    def embed_many(self, texts: list[str]) -> np.ndarray:
        """`embed` of each text, one row each. Articles' words come from the memo too: for the 10,000
        articles of the search benchmark that takes 0.3 s of one core, where the tokenizer's own batches
        of whole texts took 0.5 s of both."""
        vectors = np.zeros((len(texts), DIMENSIONS), dtype=np.float32)
        model = self._loaded()
        if model is None:
            return vectors
        tokenizer, table = model
        for row, text in enumerate(texts):
            vectors[row] = _direction(table, self._ids(tokenizer, text[:_MAX_TEXT_CHARS]))
        return vectors


def mapped_table(path: Path) -> np.ndarray:
    """The one float16 tensor of a safetensors file, mapped read-only rather than read: its 16 MB are the
    operating system's cached file pages, shared by every process that serves, and only the rows that
    vectors read are ever in memory."""
    with path.open("rb") as file:
        size = int.from_bytes(file.read(8), "little")
        tensors = {name: spec for name, spec in json.loads(file.read(size)).items() if name != "__metadata__"}
        mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
    ((name, spec),) = tensors.items()
    begin, end = spec["data_offsets"]
    if spec["dtype"] != "F16" or len(spec["shape"]) != 2 or end - begin != 2 * spec["shape"][0] * spec["shape"][1]:
        raise ValueError(f"{path}: {name} is not a float16 table")
    table = np.frombuffer(mapped, dtype="<f2", count=(end - begin) // 2, offset=8 + size + begin)
    return table.reshape(spec["shape"])


def _direction(table: np.ndarray, ids: list[int]) -> np.ndarray:
    """The unit vector along the sum of the tokens' rows; zeros without tokens."""
    if not ids:
        return np.zeros(DIMENSIONS, dtype=np.float32)
    vector = table[ids].sum(axis=0, dtype=np.float32)
    norm = np.linalg.norm(vector)
    return vector / norm if norm > 0 else vector


EMBEDDER = Embedder()


def document_text(doc: IndexDoc) -> str:
    return " ".join(part for part in (doc.title, doc.summary, doc.body[:_BODY_CHARS]) if part)


def encode(vector: np.ndarray) -> bytes:
    """Half precision for the index: 512 bytes an article; cosines change in the fourth decimal."""
    return vector.astype(np.float16).tobytes()


def decode(data: bytes | None) -> np.ndarray:
    """A stored vector as it is stored, in float16 (zeros for a document without one)."""
    if not data:
        return np.zeros(DIMENSIONS, dtype=np.float16)
    return np.frombuffer(data, dtype=np.float16)


def with_vectors(docs: Iterable[IndexDoc], embedder: Embedder, batch: int = 256) -> Iterator[tuple[IndexDoc, bytes]]:
    """Each document with its encoded vector, embedded a batch at a time."""
    docs = iter(docs)
    while chunk := list(islice(docs, batch)):
        vectors = embedder.embed_many([document_text(doc) for doc in chunk])
        yield from zip(chunk, map(encode, vectors), strict=True)

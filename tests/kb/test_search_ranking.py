"""Ranking signals beyond BM25F: word beginnings, meaning vectors, and pages cut from one ranking."""

import numpy as np
import pytest

from kb.search import SearchIndex
from kb.search.analysis import stem
from kb.search.query import parse_user_text, plan
from kb.search.scoring import RANKING, Ranking
from kb.search.semantic import DIMENSIONS, EMBEDDER, Embedder, decode, encode
from tests.kb.test_search import doc

WORDS_ONLY = Ranking(channels=tuple(c for c in RANKING.channels if c.form != "prefix"), semantic_weight=0.0)
NO_MEANING = Ranking(semantic_weight=0.0)


def ids(index, query, locale="en", **kw):
    return [hit.id for hit in index.search(query, locale, **kw).results]


@pytest.fixture
def built(tmp_path):
    def build(docs):
        SearchIndex(tmp_path / "search").rebuild(docs)
        return lambda ranking=RANKING: SearchIndex(tmp_path / "search", ranking)

    return build


def test_word_beginnings_join_words_the_stemmer_keeps_apart(built):
    assert stem("шотландский") != stem("шотландии")  # why the channel exists
    open_with = built(
        [
            doc(1, "Парламент Англии", "Парламент заседает в Лондоне.", locale="ru"),
            doc(2, "Парламент Шотландии", "Парламент заседает в Эдинбурге.", locale="ru"),
        ]
    )
    assert ids(open_with(), "шотландский парламент", "ru") == [2, 1]
    # Without word beginnings (and meaning) both match "парламент" alike: the older article comes first.
    assert ids(open_with(WORDS_ONLY), "шотландский парламент", "ru") == [1, 2]


def test_short_and_long_words_weigh_alike():
    """ "login" is its own beginning: the weight of the beginnings channel goes to its exact term."""
    terms = plan(parse_user_text("login problem"), {})
    weights = [sum(term.weight for term in terms if term.word == word) for word in (0, 1)]
    assert weights[0] == pytest.approx(weights[1])
    assert {term.channel for term in terms if term.word == 0} == {"all", "exact"}
    assert {term.channel for term in terms if term.word == 1} == {"all", "exact", "prefix"}


@pytest.mark.parametrize(
    ("query", "locale", "expected"),
    [("when will my order get here", "en", [2, 1]), ("когда привезут мой заказ", "ru", [4, 3])],
)
def test_meaning_decides_between_equal_word_matches(built, query, locale, expected):
    open_with = built(
        [
            doc(1, "Order history export", "Download a spreadsheet of every past purchase."),
            doc(2, "Order delivery times", "Most parcels arrive within three working days."),
            doc(3, "Выгрузка истории заказов", "Скачайте таблицу всех прошлых покупок.", locale="ru"),
            doc(4, "Сроки доставки заказов", "Посылки приходят за три рабочих дня.", locale="ru"),
        ]
    )
    assert ids(open_with(), query, locale) == expected
    tied = open_with(NO_MEANING).search(query, locale).results
    assert [hit.id for hit in tied] == sorted(expected) and tied[0].score == tied[1].score


def test_meaning_follows_changed_articles(tmp_path):
    index = SearchIndex(tmp_path / "search")
    index.rebuild(
        [
            doc(1, "Order history export", "Download a spreadsheet of every past purchase."),
            doc(2, "Order delivery times", "Most parcels arrive within three working days."),
        ]
    )
    index.warm_up()
    assert ids(index, "when will my order get here") == [2, 1]
    index.apply(
        upserts=[
            doc(1, "Order delivery times", "Most parcels arrive within three working days."),
            doc(2, "Order history export", "Download a spreadsheet of every past purchase."),
        ]
    )
    assert ids(index, "when will my order get here") == [1, 2]


def test_without_the_embeddings_search_ranks_by_words_and_the_index_is_rebuilt_once_they_come(tmp_path):
    docs = [
        doc(1, "Order history export", "Download a spreadsheet of every past purchase."),
        doc(2, "Order delivery times", "Most parcels arrive within three working days."),
    ]
    missing = Embedder(package="no_such_embeddings_package")
    words_only = SearchIndex(tmp_path / "search", embedder=missing)
    words_only.rebuild(docs)
    words_only.warm_up()
    assert not missing.load()
    hits = words_only.search("when will my order get here", "en").results
    assert [hit.id for hit in hits] == [1, 2] and hits[0].score == hits[1].score  # a tie of words
    words_only.close()
    # With the embeddings, an index written without vectors does not pass the start-up check.
    index = SearchIndex(tmp_path / "search")
    assert not index.check().ok
    index.rebuild(docs)
    assert index.check().ok
    assert ids(index, "when will my order get here") == [2, 1]


def test_every_page_is_cut_from_one_ranking(built):
    """The second stage reorders only the first stage's best; later pages never repeat or skip a hit."""
    open_with = built(
        [doc(n, f"Printer guide {n}", "printer " * (1 + n % 4) + f"model {n} tray paper ink") for n in range(1, 241)]
    )
    index = open_with()
    pages = [index.search("printer paper", "en", page=page, per_page=20) for page in range(1, 13)]
    paged = [hit.id for page in pages for hit in page.results]
    whole = ids(index, "printer paper", per_page=100) + ids(index, "printer paper", page=2, per_page=100)
    assert paged[:200] == whole
    assert sorted(paged) == list(range(1, 241))
    scores = [hit.score for page in pages for hit in page.results]
    assert scores == sorted(scores, reverse=True)


def test_vectors_are_unit_length_and_closer_for_related_texts():
    password = EMBEDDER.embed("reset my password")
    assert password.shape == (DIMENSIONS,)
    assert np.linalg.norm(password) == pytest.approx(1.0, abs=1e-5)
    assert password @ EMBEDDER.embed("I forgot my login password") > password @ EMBEDDER.embed("parcel delivery times")
    assert not EMBEDDER.embed("").any()


def test_stored_vectors_round_trip_in_half_precision():
    vector = EMBEDDER.embed("Как вернуть товар")
    assert np.allclose(decode(encode(vector)), vector, atol=1e-3)
    assert not decode(None).any()


def test_a_query_is_tokenized_word_by_word_as_the_tokenizer_reads_it_whole():
    from pathlib import Path

    from kb.search.semantic import _direction

    assert EMBEDDER.load()
    tokenizer, table = EMBEDDER._loaded()
    texts = [
        "How do I reset my password?",
        "Как вернуть товар, если он пришёл повреждённым?",
        "refund  with two spaces",
        "1  2  3",  # a run of spaces is one token, as in "    indented code"
        "    indented code",
        " leading space",
        "trailing space   ",
        "tabs\tand\nnew lines",
        "e-mail: ann@example.com (ID #42) — 50% off!!!",
        "ёлка, ЁЖ, naïve café, 東京",
        "",
    ]
    for article in sorted(Path(__file__).resolve().parents[2].joinpath("content").rglob("*.md"))[:40]:
        texts += [line for line in article.read_text(encoding="utf-8").splitlines() if line.strip()][:15]
    small = Embedder()
    for text in texts * 2:  # the second time from the memo of words
        whole = tokenizer.encode(text, add_special_tokens=False).ids
        assert small._ids(tokenizer, text) == whole, text
        assert np.array_equal(small.embed(text), _direction(table, whole))
    assert 0 < len(small._word_ids) <= 20_000


def test_the_embedding_table_is_mapped_from_its_file_as_safetensors_reads_it(tmp_path):
    from safetensors.numpy import load_file, save_file

    from kb.search.semantic import _WEIGHTS, _package_dir, mapped_table

    shipped = _package_dir("wordllama") / _WEIGHTS
    (read,) = load_file(str(shipped)).values()
    mapped = mapped_table(shipped)
    assert mapped.dtype == np.float16 and mapped.shape == read.shape == (32000, DIMENSIONS)
    assert np.array_equal(mapped, read)
    assert not mapped.flags.writeable  # the file's pages, shared by every process, never a copy to write
    # A file holding something else is refused with its name, not read as rows of noise.
    other = tmp_path / "other.safetensors"
    save_file({"embedding.weight": np.ones((4, 3), dtype=np.float32)}, str(other))
    with pytest.raises(ValueError, match="not a float16 table"):
        mapped_table(other)

"""A rebuild writes what Whoosh's own writer writes for the same articles, byte for byte."""

from datetime import UTC, datetime
from pathlib import Path

import pytest
from whoosh import index as whoosh_index
from whoosh.filedb.compound import CompoundStorage
from whoosh.filedb.filestore import FileStorage

from kb import files
from kb.markdown import plain_text
from kb.search import IndexDoc
from kb.search.analysis import FormTokenizer
from kb.search.schema import doc_fields, make_schema
from kb.search.segment import FreshWriter
from kb.search.semantic import EMBEDDER, with_vectors

CONTENT = Path(__file__).resolve().parents[2] / "content"
NOW = datetime(2026, 11, 1, tzinfo=UTC)
ODD_TEXTS = [
    "",
    "e-mail, wi‐fi and sign‑in; a - b -c d- e--f 12-34 snake_case-name",
    "Обраще́ние, ёлка и ЁЖ: Wi-Fi в офисе; 2FA-коды",
    "the the the of and: stop words only",
    "Σ ΟΔΟΣ όδός x⁵ ½ ①",
    "password password reset reset reset password",
]


def doc(n: int, title: str, body: str, **fields) -> IndexDoc:
    values = {"slug": f"a-{n}", "locale": "en", "summary": "", "category": None, "tags": (), "public": True}
    return IndexDoc(id=n, title=title, body=body, updated_at=NOW, **(values | fields))


def shipped_docs() -> list[IndexDoc]:
    """The shipped articles, some with odd texts as their summary and tags, and the odd texts alone."""
    docs = [
        doc(
            n,
            item.title,
            plain_text(item.body),
            slug=item.slug,
            locale=item.locale,
            summary=item.summary or ODD_TEXTS[n % len(ODD_TEXTS)],
            category=item.category,
            tags=item.tags or tuple(ODD_TEXTS[n % len(ODD_TEXTS)].split()[:3]),
            public=n % 3 > 0,
        )
        for n, item in enumerate(files.read_inputs(CONTENT), start=1)
    ]
    return docs + odd_docs(len(docs))


def odd_docs(first: int = 0) -> list[IndexDoc]:
    """Without summaries or tags: fields no document fills are left out of the segment."""
    return [doc(first + n, text, text, category="odd-ones") for n, text in enumerate(ODD_TEXTS, start=1)]


def segment_files(gen_dir: Path) -> dict[str, bytes]:
    """Each file inside the generation's one compound segment, named without the segment's random id."""
    (segment,) = gen_dir.glob("*.seg")
    segment_id = segment.stem.split("_", 1)[1]
    compound = CompoundStorage(FileStorage(str(gen_dir)).open_file(segment.name), use_mmap=False)
    return {name.replace(segment_id, "ID"): compound.open_file(name).read() for name in compound.list()}


def write(gen_dir: Path, fresh: bool, docs: list[IndexDoc]) -> Path:
    gen_dir.mkdir()
    ix = whoosh_index.create_in(str(gen_dir), make_schema())
    writer = FreshWriter(ix) if fresh else ix.writer()
    for doc, vector in with_vectors(docs, EMBEDDER):
        writer.add_document(**doc_fields(doc, vector))
    writer.commit()
    return gen_dir


@pytest.mark.parametrize("docs", [shipped_docs(), odd_docs()], ids=["shipped", "odd"])
def test_a_fresh_segment_is_the_one_whooshs_writer_makes(tmp_path, docs):
    ours, whooshs = write(tmp_path / "ours", True, docs), write(tmp_path / "whoosh", False, docs)

    assert segment_files(ours) == segment_files(whooshs)
    with whoosh_index.open_dir(str(ours)).reader() as a, whoosh_index.open_dir(str(whooshs)).reader() as b:
        assert a.doc_count_all() == b.doc_count_all() == len(docs)
        for name in make_schema().scorable_names():
            assert a.field_length(name) == b.field_length(name)


def test_a_fresh_writer_refuses_an_index_that_has_documents(tmp_path):
    gen_dir = write(tmp_path / "gen", False, shipped_docs()[:2])
    with pytest.raises(ValueError, match="empty index"):
        FreshWriter(whoosh_index.open_dir(str(gen_dir)))


@pytest.mark.parametrize("form", ["stem", "exact", "prefix"])
def test_token_texts_are_the_tokens_an_analyzer_yields(form):
    tokenizer = FormTokenizer(form)
    for text in [*ODD_TEXTS, *(doc.body for doc in shipped_docs())]:
        assert tokenizer.texts(text) == [token.text for token in tokenizer(text)]

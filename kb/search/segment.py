"""Writing a new generation's one segment: Whoosh's writer with its costs per posting cut, the same bytes."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from whoosh.fields import FieldType
from whoosh.formats import Frequency
from whoosh.index import FileIndex
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from kb.search.analysis import FormTokenizer

__all__ = ["FreshWriter"]

_Posting = tuple[float, bytes]  # weight, encoded value


class FreshWriter(SegmentWriter):
    """Whoosh's SegmentWriter for an empty index that gets all its documents before one commit.

    The general writer keeps a tuple for each posting (field, term, document, weight, value) in a pool,
    sorts the pool when it commits (1.8 million postings for 10,000 articles), then reads each posting's
    field length back from the column it has just written. Documents arrive in number order, so here
    each term's postings are kept in order as they come: the commit sorts the terms (about one in
    twenty postings starts a term) and takes the lengths from memory. A field analysed by a
    FormTokenizer is counted with one Counter over its tokens' texts rather than a Token for each word.
    The segment holds what SegmentWriter writes, byte for byte (tests/kb/test_search_segment.py).
    """

    def __init__(self, ix: FileIndex, **kwargs) -> None:
        # Checked before the base class takes the index's write lock.
        if not ix.is_empty():
            raise ValueError("a FreshWriter writes into an empty index only")
        special = [
            name for name, field in ix.schema.items() if field.vector or field.column_type or field.separate_spelling()
        ]
        if special:
            raise ValueError(f"a FreshWriter writes no vectors, columns or spelling words: {special}")
        super().__init__(ix, **kwargs)
        # field → term → (document numbers, their postings), in the order the documents came
        self._terms: dict[str, dict[bytes, tuple[list[int], list[_Posting]]]] = {}
        # field → document number → its length as the segment's length column gives it back
        self._lengths: dict[str, dict[int, int]] = {}
        # One object for every equal posting (most are "once" or "twice"), not one per posting.
        self._shared: dict[_Posting, _Posting] = {}

    def add_document(self, **fields) -> None:
        """SegmentWriter.add_document for fields without boosts (no "_" keywords)."""
        self._check_state()
        self._check_fields(self.schema, fields)
        docnum = self.docnum
        perdoc = self.perdocwriter
        perdoc.start_doc(docnum)
        # In name order, as SegmentWriter goes: the stored fields are pickled in that order.
        for name in sorted(fields):
            value = fields[name]
            if value is None:
                continue
            field = self.schema[name]
            length = 0
            if field.indexed:
                terms = self._terms.setdefault(name, {})
                for btext, freq, posting in self._postings(field, value):
                    entry = terms.get(btext)
                    if entry is None:
                        entry = terms[btext] = ([], [])
                    entry[0].append(docnum)
                    entry[1].append(posting)
                    length += freq
                if not field.scorable:
                    length = 0
                elif length:
                    self._lengths.setdefault(name, {})[docnum] = byte_to_length(length_to_byte(length))
            perdoc.add_field(name, field, value if field.stored else None, length)
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _postings(self, field: FieldType, value: object) -> Iterator[tuple[bytes, int, _Posting]]:
        """(term, frequency, posting) for each term of `value`, as FieldType.index gives them."""
        shared = self._shared
        analyzer, format_ = field.analyzer, field.format
        if isinstance(analyzer, FormTokenizer) and type(format_) is Frequency and isinstance(value, str):
            # Frequency.word_values adds a boost of 1.0 per token, then multiplies by the field's boost.
            boost = format_.field_boost
            for text, freq in Counter(analyzer.texts(value)).items():
                posting = (float(freq) * boost, pack_uint(freq))
                yield text.encode("utf-8"), freq, shared.setdefault(posting, posting)
        else:
            for btext, freq, weight, vbytes in field.index(value):
                posting = (weight, vbytes)
                yield btext, freq, shared.setdefault(posting, posting)

    def _flush_segment(self) -> None:
        """SegmentWriter._flush_segment: every term's postings, in field and term order."""
        self.perdocwriter.close()
        writer = self.fieldwriter
        for name in sorted(self._terms):
            terms = self._terms[name]
            if not terms:  # a field starts when its first posting comes
                continue
            lengths = self._lengths.get(name, {}) if self.codec.length_stats else {}
            writer.start_field(name, self.schema[name])
            for btext in sorted(terms):
                docnums, postings = terms[btext]
                writer.start_term(btext)
                for docnum, (weight, vbytes) in zip(docnums, postings, strict=True):
                    writer.add(docnum, weight, vbytes, lengths.get(docnum, 0))
                writer.finish_term()
            writer.finish_field()
        writer.close()

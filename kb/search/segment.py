"""Writing a new generation's one segment: Whoosh's writer with its costs per posting cut, the same bytes."""

from __future__ import annotations

from collections import Counter

from whoosh.fields import FieldType
from whoosh.formats import Frequency
from whoosh.index import FileIndex
from whoosh.system import pack_uint
from whoosh.util.numeric import byte_to_length, length_to_byte
from whoosh.writing import SegmentWriter

from kb.search.analysis import FormTokenizer

__all__ = ["FreshWriter"]

_Posting = tuple[float, bytes]  # weight, encoded value
_Terms = dict[bytes, tuple[list[int], list[_Posting]]]  # term → its documents' numbers and postings


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
        # Fields whose postings _add_counted makes rather than FieldType.index.
        self._counted = {
            name
            for name, field in self.schema.items()
            if isinstance(field.analyzer, FormTokenizer) and type(field.format) is Frequency
        }
        # field → its terms, each with its postings in the order the documents came
        self._terms: dict[str, _Terms] = {}
        # field → document number → its length as the segment's length column gives it back
        self._lengths: dict[str, dict[int, int]] = {}
        # field boost → frequency → one posting object for all the counted terms that share it
        self._shared: dict[float, dict[int, _Posting]] = {}

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
                # A list or tuple is tokens already (whoosh.formats.tokens): Whoosh indexes those.
                if name in self._counted and isinstance(value, str):
                    length = self._add_counted(terms, docnum, field, value)
                else:
                    length = self._add_indexed(terms, docnum, field, value)
                if not field.scorable:
                    length = 0
                elif length:
                    self._lengths.setdefault(name, {})[docnum] = byte_to_length(length_to_byte(length))
            perdoc.add_field(name, field, value if field.stored else None, length)
        perdoc.finish_doc()
        self._added = True
        self.docnum += 1

    def _add_counted(self, terms: _Terms, docnum: int, field: FieldType, value: str) -> int:
        """Add the postings Frequency.word_values gives for a FormTokenizer's tokens; returns their count."""
        counts = Counter(field.analyzer.texts(value))
        # Frequency.word_values adds a boost of 1.0 per token, then multiplies by the field's boost.
        shared = self._shared.setdefault(field.format.field_boost, {})
        for text, freq in counts.items():
            posting = shared.get(freq)
            if posting is None:
                posting = shared[freq] = (float(freq) * field.format.field_boost, pack_uint(freq))
            btext = text.encode("utf-8")
            entry = terms.get(btext)
            if entry is None:
                entry = terms[btext] = ([], [])
            entry[0].append(docnum)
            entry[1].append(posting)
        return counts.total()

    @staticmethod
    def _add_indexed(terms: _Terms, docnum: int, field: FieldType, value: object) -> int:
        """Add the postings FieldType.index gives; returns the sum of their frequencies."""
        length = 0
        for btext, freq, weight, vbytes in field.index(value):
            entry = terms.get(btext)
            if entry is None:
                entry = terms[btext] = ([], [])
            entry[0].append(docnum)
            entry[1].append((weight, vbytes))
            length += freq
        return length

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

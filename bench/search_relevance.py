"""Search relevance and latency benchmark: Recall@5, Success@5, MRR@10 and p50/p99 on the dev query sets.

Usage: PYTHONPATH=. python bench/search_relevance.py [--data DIR] [--sets stackfaq,xquadr_ru] [--no-scale]

Each set's faq.jsonl is loaded through the product's JSONL import mapping into a fresh index and every
dev query runs through `SearchIndex.search`, the code path of the web API. The scale section puts all
sets plus the ticket corpora (~12k documents) in one index and measures latency there.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from kb.frontmatter import ArticleInput, rows_from_jsonl, slugify
from kb.search import QueryTooLong, SearchIndex, index_doc, load_jsonl_into_index

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
# How each set's rows map onto articles (see kb.frontmatter.JSONL_LAYOUTS) and their language.
SETS = {"stackfaq": ("en", "faq"), "xquadr_ru": ("ru", "passages"), "xquadr_en": ("en", "passages")}
TICKET_SETS = ("bitext_cs", "banking77")


@dataclass
class Scores:
    recall5: float
    success5: float
    mrr10: float
    p50_ms: float
    p99_ms: float
    queries: int
    rejected: int


def _queries(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                yield json.loads(line)


def evaluate(index: SearchIndex, queries_path: Path, locale: str) -> Scores:
    recall, success, mrr, times, rejected = [], [], [], [], 0
    for row in _queries(queries_path):
        relevant = {slugify(rid) for rid in row["relevant_ids"]}
        started = time.perf_counter()
        try:
            page = index.search(row["query"], locale=locale, per_page=10)
            ranked = [hit.slug for hit in page.results]
        except QueryTooLong:
            rejected += 1
            ranked = []
        times.append((time.perf_counter() - started) * 1000)
        top5 = ranked[:5]
        recall.append(len(relevant.intersection(top5)) / len(relevant))
        success.append(1.0 if relevant.intersection(top5) else 0.0)
        first = next((rank for rank, slug in enumerate(ranked[:10], 1) if slug in relevant), None)
        mrr.append(1.0 / first if first else 0.0)
    times.sort()
    return Scores(
        recall5=statistics.fmean(recall),
        success5=statistics.fmean(success),
        mrr10=statistics.fmean(mrr),
        p50_ms=times[len(times) // 2],
        p99_ms=times[min(len(times) - 1, int(len(times) * 0.99))],
        queries=len(times),
        rejected=rejected,
    )


def _print(name: str, docs: int, scores: Scores) -> None:
    print(
        f"{name:<22} {docs:>6} {scores.queries:>6} {scores.recall5:>9.3f} {scores.success5:>10.3f}"
        f" {scores.mrr10:>7.3f} {scores.p50_ms:>8.2f} {scores.p99_ms:>8.2f} {scores.rejected:>5}"
    )


def _header(title: str) -> None:
    print(f"\n{title}")
    print(
        f"{'set':<22} {'docs':>6} {'queries':>6} {'Recall@5':>9} {'Success@5':>10} {'MRR@10':>7}"
        f" {'p50 ms':>8} {'p99 ms':>8} {'rej':>5}"
    )


def _ticket_articles(path: Path, prefix: str) -> Iterator[ArticleInput]:
    # Ticket corpora as extra articles: the request is the title, the reference response the body.
    for number, row in enumerate(_queries(path), 1):
        text = row["text"]
        yield ArticleInput(slug=f"{prefix}-{number}", title=text, body=row.get("response") or text, locale="en")


def scale(data: Path, names: list[str], workdir: Path) -> None:
    articles: list[ArticleInput] = []
    for name in names:
        locale, layout = SETS[name]
        with (data / name / "faq.jsonl").open(encoding="utf-8") as fh:
            articles += rows_from_jsonl(fh, locale, layout)
    for name in TICKET_SETS:
        if (data / name / "tickets.dev.jsonl").exists():
            articles += _ticket_articles(data / name / "tickets.dev.jsonl", name)
    index = SearchIndex(workdir / "scale")
    started = time.perf_counter()
    count = index.rebuild(index_doc(article, number) for number, article in enumerate(articles, 1))
    index.warm_up()
    print(f"\nScale: {count} documents in one index (built in {time.perf_counter() - started:.1f} s)")
    _header("same dev queries against the combined index (locale filter on)")
    for name in names:
        _print(name, count, evaluate(index, data / name / "queries.dev.jsonl", SETS[name][0]))
    index.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data directory")
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated set names")
    parser.add_argument("--no-scale", action="store_true", help="skip the ~12k-document latency run")
    args = parser.parse_args(argv)
    names = [name for name in args.sets.split(",") if name]
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        workdir = Path(tmp)
        _header("Per set (dev queries, top 10 through SearchIndex.search)")
        for name in names:
            locale, layout = SETS[name]
            index = SearchIndex(workdir / name)
            with (args.data / name / "faq.jsonl").open(encoding="utf-8") as fh:
                slugs = load_jsonl_into_index(index, fh, locale, layout)
            index.warm_up()  # as the portal does at start-up; term postings still load on demand
            _print(name, len(slugs), evaluate(index, args.data / name / "queries.dev.jsonl", locale))
            index.close()
        if not args.no_scale:
            scale(args.data, names, workdir)
    return 0


if __name__ == "__main__":
    sys.exit(main())

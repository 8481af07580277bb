"""Search relevance on the public dev query sets: Recall@5, Success@5, MRR@10 (and p50/p99 latency).

Usage: python bench/search_relevance.py [--data DIR] [--sets stackfaq,xquadr_ru] [--suggest-articles 10000]

Each set's faq.jsonl goes through `portal kb import` into a fresh data directory (stackfaq: id → slug,
question → title, answer → body; xquadr: id → slug, the answer sentence → title, its paragraph → body),
and every dev query runs through the index `portal kb import` built, by `SearchIndex.search`: the call
behind /api/kb/search and the search page.

Suggestions (`SearchIndex.suggest`, the call behind /api/kb/suggest) are scored on the same queries cut
to their first 3, 5 and 8 words, as a customer types a subject: MRR@5 beside full search's MRR@5 on the
whole query. Their latency is timed on the 10,000-article corpus of bench/search_latency.py.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kb.frontmatter import slugify  # noqa: E402
from kb.search import QueryTooLong, SearchIndex  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data"
SETS = {"stackfaq": "en", "xquadr_ru": "ru", "xquadr_en": "en"}


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


SUGGEST_CUTS = (3, 5, 8)


def _first_rank(ranked: list[str], relevant: set[str], depth: int) -> float:
    first = next((rank for rank, slug in enumerate(ranked[:depth], 1) if slug in relevant), None)
    return 1.0 / first if first else 0.0


def evaluate_suggest(index: SearchIndex, queries_path: Path, locale: str) -> dict[str, float]:
    """MRR@5 of full search on the whole query and of suggestions on its first 3, 5, 8 words."""
    found: dict[str, list[float]] = {"search": [], **{f"{n} words": [] for n in SUGGEST_CUTS}}
    for row in _queries(queries_path):
        relevant = {slugify(rid) for rid in row["relevant_ids"]}
        try:
            ranked = [hit.slug for hit in index.search(row["query"], locale=locale, per_page=5).results]
        except QueryTooLong:
            ranked = []
        found["search"].append(_first_rank(ranked, relevant, 5))
        words = row["query"].split()
        for n in SUGGEST_CUTS:
            try:
                suggested = [s.slug for s in index.suggest(" ".join(words[:n]), locale, limit=5)]
            except QueryTooLong:
                suggested = []
            found[f"{n} words"].append(_first_rank(suggested, relevant, 5))
    return {name: statistics.fmean(values) for name, values in found.items()}


def suggest_latency(data: Path, workdir: Path, articles: int) -> tuple[float, float, int]:
    """p50 and p99 ms of suggestions for the data sets' queries cut to 3, 5 and 8 words, and their count."""
    from bench.search_latency import corpus, queries

    source = workdir / "latency.jsonl"
    source.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in corpus(articles)), encoding="utf-8")
    data_dir = workdir / "latency"
    _portal_import(source, data_dir, None)
    index = SearchIndex(data_dir / "search")
    index.warm_up()
    typed = [(" ".join(q.split()[:n]), lang) for q, lang in queries(300) for n in SUGGEST_CUTS]
    for text, lang in typed[:30]:
        index.suggest(text, lang)
    times = []
    for text, lang in typed:
        started = time.perf_counter()
        index.suggest(text, lang)
        times.append((time.perf_counter() - started) * 1000)
    index.close()
    times.sort()
    return times[len(times) // 2], times[min(len(times) - 1, int(len(times) * 0.99))], len(times)


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


def _import_rows(name: str, row: dict) -> dict:
    """A data-set row as `portal kb import` reads it."""
    if name.startswith("xquadr"):
        return {"id": row["id"], "title": row["answer"], "body": row["context"]}
    return {"id": row["id"], "question": row["question"], "answer": row["answer"]}


def import_set(data: Path, name: str, workdir: Path) -> tuple[Path, int]:
    """Load one set through the product's own import into a fresh data directory."""
    rows = [_import_rows(name, row) for row in _queries(data / name / "faq.jsonl")]
    source = workdir / f"{name}.jsonl"
    source.write_text("\n".join(json.dumps(row, ensure_ascii=False) for row in rows), encoding="utf-8")
    data_dir = workdir / name
    _portal_import(source, data_dir, SETS[name])
    return data_dir / "search", len(rows)


def _portal_import(source: Path, data_dir: Path, locale: str | None) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(PORTAL_DATA_DIR=str(data_dir), PORTAL_DEMO_ACCOUNTS="false")
    command = [sys.executable, "-m", "portal.cli", "kb", "import", str(source)]
    done = subprocess.run(
        [*command, "--locale", locale] if locale else command, env=env, cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode:
        sys.exit(f"portal kb import failed for {source.name}: {done.stdout}{done.stderr}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data directory")
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated set names")
    parser.add_argument("--suggest-articles", type=int, default=10_000, help="articles for the suggestion timing")
    args = parser.parse_args(argv)
    names = [name for name in args.sets.split(",") if name]
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        workdir = Path(tmp)
        _header("Per set (dev queries, imported with `portal kb import`, top 10 through SearchIndex.search)")
        suggested = {}
        for name in names:
            path, count = import_set(args.data, name, workdir)
            index = SearchIndex(path)
            index.warm_up()  # as the portal does at start-up
            _print(name, count, evaluate(index, args.data / name / "queries.dev.jsonl", SETS[name]))
            suggested[name] = evaluate_suggest(index, args.data / name / "queries.dev.jsonl", SETS[name])
            index.close()
        print("\nSuggestions (SearchIndex.suggest, top 5) on the dev queries cut to their first words; MRR@5")
        print(f"{'set':<22} {'search, whole':>14}" + "".join(f" {f'{n} words':>9}" for n in SUGGEST_CUTS))
        for name, scores in suggested.items():
            cuts = "".join(f" {scores[f'{n} words']:>9.3f}" for n in SUGGEST_CUTS)
            print(f"{name:<22} {scores['search']:>14.3f}{cuts}")
        if args.suggest_articles:
            p50, p99, count = suggest_latency(args.data, workdir, args.suggest_articles)
            print(
                f"suggestion latency, {args.suggest_articles} articles, {count} typed prefixes:"
                f" p50 {p50:.2f} ms  p99 {p99:.2f} ms  (target p99 <= 30 ms)"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Search relevance on the public dev query sets: Recall@5, Success@5, MRR@10 (and p50/p99 latency).

Usage: python bench/search_relevance.py [--data DIR] [--sets stackfaq,xquadr_ru]

Each set's faq.jsonl goes through `portal kb import` into a fresh data directory (stackfaq: id → slug,
question → title, answer → body; xquadr: id → slug, the answer sentence → title, its paragraph → body),
and every dev query runs through the index `portal kb import` built, by `SearchIndex.search`: the call
behind /api/kb/search and the search page.
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
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update(PORTAL_DATA_DIR=str(data_dir), PORTAL_DEMO_ACCOUNTS="false")
    done = subprocess.run(
        [sys.executable, "-m", "portal.cli", "kb", "import", str(source), "--locale", SETS[name]],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        sys.exit(f"portal kb import failed for {name}: {done.stdout}{done.stderr}")
    return data_dir / "search", len(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="the shared data directory")
    parser.add_argument("--sets", default=",".join(SETS), help="comma-separated set names")
    args = parser.parse_args(argv)
    names = [name for name in args.sets.split(",") if name]
    with tempfile.TemporaryDirectory(prefix="kb-bench-") as tmp:
        workdir = Path(tmp)
        _header("Per set (dev queries, imported with `portal kb import`, top 10 through SearchIndex.search)")
        for name in names:
            path, count = import_set(args.data, name, workdir)
            index = SearchIndex(path)
            index.warm_up()  # as the portal does at start-up
            _print(name, count, evaluate(index, args.data / name / "queries.dev.jsonl", SETS[name]))
            index.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())

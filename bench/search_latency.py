"""Search speed on 10,000 articles (mixed English and Russian, built from the shipped content and the
public data sets): import and full reindex time, in-process query latency, requests/s of the search
and article pages against a bare Litestar "hello" on the same server in the same run, and the
server's memory at idle and after a minute of many concurrent clients searching.

    python bench/search_latency.py [--articles 10000] [--seconds 8] [--clients 64] [--load-seconds 60]

Targets: p99 <= 10 ms in-process; search page >= 0.30 x hello; article page >= 0.50 x hello;
full reindex of 10k <= 20 s; server RSS <= 300 MB after the load (its PSS, shared pages counted
once, beside it). HTTP rates come from wrk when installed (apt-get install wrk), else from a Python
client (slower: it shares the CPU with the server, so ratios are lower than with wrk). The load
phase always uses the Python client: every request is a different query to the JSON search API, so
no page cache answers instead of the index.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))

from bench.serving import HIGH_RATE_LIMITS, descendants, free_port, rate, server_memory_mb, wait_ready  # noqa: E402


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def corpus(count: int) -> list[dict]:
    """Article rows for `portal kb import`, cycling through the sources until `count`."""
    from kb import files

    sources: list[dict] = []
    for item in files.read_inputs(ROOT / "content"):
        sources.append(
            {
                "slug": item.slug,
                "title": item.title,
                "body": item.body,
                "locale": item.locale,
                "category": item.category,
            }
        )
    sources += [
        {"slug": r["id"], "title": r["question"], "body": r["answer"], "locale": "en"}
        for r in read_jsonl(DATA / "stackfaq" / "faq.jsonl")
    ]
    for lang in ("en", "ru"):
        sources += [
            {"slug": r["id"], "title": r["answer"], "body": r["context"], "locale": lang}
            for r in read_jsonl(DATA / f"xquadr_{lang}" / "faq.jsonl")
        ]
    sources += [
        {"slug": r["id"], "title": r["text"], "body": r["response"], "locale": "en"}
        for r in read_jsonl(DATA / "bitext_cs" / "tickets.dev.jsonl")
        if r.get("response")
    ]
    rows = []
    for n in range(count):
        row = dict(sources[n % len(sources)])
        round_ = n // len(sources)
        if round_:
            row["slug"] = f"{row['slug']}-{round_}"
        rows.append(row)
    return rows


def queries(count: int) -> list[tuple[str, str]]:
    picked: list[tuple[str, str]] = []
    for name, lang in (("stackfaq", "en"), ("xquadr_en", "en"), ("xquadr_ru", "ru")):
        rows = read_jsonl(DATA / name / "queries.dev.jsonl")
        picked += [(r["query"], lang) for r in rows[: count // 3 + 1]]
    return picked[:count]


def distinct_searches(picked: list[tuple[str, str]], words: list[str]):
    """An endless stream of different API searches: each data set query with one more word, then two."""
    n = 0
    while True:
        q, lang = picked[n % len(picked)]
        extra = n // len(picked)
        if extra:
            q = f"{q} {words[extra % len(words)]}" + (
                f" {words[extra // len(words) % len(words)]}" if extra >= len(words) else ""
            )
        yield f"/api/kb/search?{httpx.QueryParams({'q': q, 'locale': lang})}"
        n += 1


async def search_load(url: str, paths, clients: int, seconds: int) -> dict:
    """`clients` connections searching for `seconds`; answers counted by kind, latency of every answer."""
    latencies: list[float] = []
    counts = {"ok": 0, "busy": 0, "errors": 0}
    problems: dict[str, int] = {}
    stop = time.monotonic() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:

        async def worker() -> None:
            while time.monotonic() < stop:
                started = time.perf_counter()
                try:
                    response = await client.get(next(paths))
                except httpx.HTTPError as exc:
                    counts["errors"] += 1
                    problems[type(exc).__name__] = problems.get(type(exc).__name__, 0) + 1
                    continue
                latencies.append((time.perf_counter() - started) * 1000)
                if response.status_code == 200:
                    counts["ok"] += 1
                elif response.status_code in (429, 503):  # refused on purpose, with Retry-After
                    counts["busy"] += 1
                else:
                    counts["errors"] += 1
                    key = f"HTTP {response.status_code}"
                    problems[key] = problems.get(key, 0) + 1

        await asyncio.gather(*(worker() for _ in range(clients)))
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else float("nan")
    return {
        **counts,
        "p50": statistics.median(latencies) if latencies else float("nan"),
        "p99": p99,
        "problems": problems,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--clients", type=int, default=64, help="concurrent search clients in the load phase")
    parser.add_argument("--load-seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=None, help="portal serve --workers (default: its own)")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAL_")}
    env.update({"PORTAL_DATA_DIR": str(workdir / "data"), "PORTAL_DEMO_ACCOUNTS": "false", **HIGH_RATE_LIMITS})
    # The code of this checkout, in the server's workers too, whatever copy is installed.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")]))
    rows = corpus(args.articles)
    source = workdir / "articles.jsonl"
    source.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    portal = [sys.executable, "-m", "portal.cli"]

    started = time.perf_counter()
    done = subprocess.run([*portal, "kb", "import", str(source)], env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"portal kb import failed: {done.stdout}{done.stderr}")
    imported = time.perf_counter() - started
    started = time.perf_counter()
    subprocess.run([*portal, "reindex"], env=env, check=True, capture_output=True)
    reindexed = time.perf_counter() - started

    from kb.frontmatter import slugify
    from kb.search import SearchIndex

    index = SearchIndex(workdir / "data" / "search")
    picked = queries(args.queries)
    index.warm_up()  # what `portal serve` does before it answers /ready
    for q, lang in picked[:20]:
        index.search(q, lang)  # warm the caches, as a running server has them
    timings = []
    for q, lang in picked:
        t0 = time.perf_counter()
        index.search(q, lang)
        timings.append((time.perf_counter() - t0) * 1000)
    timings.sort()
    p50 = statistics.median(timings)
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    index.close()

    port, hello_port = free_port(), free_port()
    server = subprocess.Popen(
        [*portal, "serve", "--port", str(port), *(["--workers", str(args.workers)] if args.workers else [])],
        env={**env, "PORTAL_BACKGROUND_JOBS": "true"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    hello = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "granian",
            "--interface",
            "asgi",
            "--port",
            str(hello_port),
            "--no-ws",
            "bench.hello_app:app",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base, hello_url = f"http://127.0.0.1:{port}", f"http://127.0.0.1:{hello_port}"
        wait_ready(base + "/ready")
        wait_ready(hello_url + "/")
        random.seed(7)
        search_paths = [f"/kb/search?{httpx.QueryParams({'q': q})}" for q, _lang in picked]
        # The slugs the import made of the ids (xquad's "ru_s0497" becomes "ru-s0497"): real pages, not 404s.
        article_paths = [f"/kb/{slugify(row['slug'])}" for row in random.sample(rows, 200)]
        hello_rate = rate(hello_url, ["/"], args.seconds, workdir)
        search_rate = rate(base, search_paths, args.seconds, workdir)
        article_rate = rate(base, article_paths, args.seconds, workdir)
        idle = server_memory_mb(server.pid)
        workers = f"{len(descendants(server.pid))} server worker process(es)"
        words = sorted({w for q, _lang in picked for w in q.split() if w.isalpha() and len(w) > 3})
        load = asyncio.run(search_load(base, distinct_searches(picked, words), args.clients, args.load_seconds))
        loaded = server_memory_mb(server.pid)
        if server.poll() is not None:
            raise RuntimeError(f"the server died during the load (exit {server.returncode})")
    finally:
        for process in (server, hello):
            process.terminate()
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(workdir, ignore_errors=True)

    client = "wrk -t2 -c32" if shutil.which("wrk") else "python httpx, 32 connections"
    print(
        f"articles: {len(rows)} (en {sum(r['locale'] == 'en' for r in rows)}, "
        f"ru {sum(r['locale'] == 'ru' for r in rows)})"
    )
    print(f"portal kb import: {imported:.1f} s   portal reindex (full): {reindexed:.1f} s  (target <= 20 s)")
    print(f"in-process search, {len(timings)} queries: p50 {p50:.2f} ms  p99 {p99:.2f} ms  (target p99 <= 10 ms)")
    print(f"HTTP ({client}, {args.seconds} s each after four requests per page, {workers}):")
    print(f"  hello        {hello_rate:8.0f} req/s")
    # Both replay warmed anonymous pages, so they time the page cache; bench/pages.py times distinct searches.
    print(
        f"  search page, {len(search_paths)} warmed queries replayed (page cache)  {search_rate:8.0f} req/s"
        f"  = {search_rate / hello_rate:.2f} x hello  (target >= 0.30)"
    )
    print(
        f"  article page, {len(article_paths)} warmed pages replayed (page cache)  {article_rate:8.0f} req/s"
        f"  = {article_rate / hello_rate:.2f} x hello  (target >= 0.50)"
    )
    answered = load["ok"] + load["busy"] + load["errors"]
    print(
        f"search load: {args.clients} clients, {args.load_seconds} s, every request a different query "
        f"(/api/kb/search): {answered} requests, {answered / args.load_seconds:.0f}/s"
    )
    print(
        f"  200 {load['ok']}   503/429 (refused on purpose) {load['busy']}   errors {load['errors']} {load['problems']}"
    )
    print(f"  latency p50 {load['p50']:.1f} ms  p99 {load['p99']:.1f} ms")
    print(
        f"server RSS (all its processes): idle {idle[0]:.0f} MB, after the load {loaded[0]:.0f} MB  (target <= 300 MB)"
    )
    print(f"  the same as PSS (shared pages counted once): idle {idle[1]:.0f} MB, after the load {loaded[1]:.0f} MB")


if __name__ == "__main__":
    main()

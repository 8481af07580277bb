"""A damaged index file never crashes or hangs the process: searches get IndexUnavailable, and a rebuild mends it.

Each case runs in a child process that opens the index, searches (so a searcher is open and pooled),
damages a file, then searches again: a memory-mapped segment cut short under an open searcher kills
the process with SIGBUS, which must fail the test rather than pytest.
"""

import json
import shutil
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from kb.search import IndexDoc, SearchIndex

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 1, tzinfo=UTC)
DOCS = [(n, f"Refund guide {n}", "printer password invoice " * (1 + n % 4)) for n in range(1, 301)]

CHILD = r"""
import json, logging, os, shutil, sys
from datetime import UTC, datetime
from pathlib import Path

import kb
from kb.search import IndexDoc, IndexUnavailable, SearchIndex

logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(name)s %(levelname)s %(message)s")
kind, root = sys.argv[1], Path(sys.argv[2])
docs = [IndexDoc(n, f"a-{n}", "en", title, "", body, None, (), True, datetime(2026, 11, 1, tzinfo=UTC))
        for n, title, body in json.loads(sys.argv[3])]
index = SearchIndex(root)
out = {"kb": kb.__file__, "before": index.search("refund", "en").total}
damaged = root / (root / "CURRENT").read_text()
segment = max(damaged.glob("*.seg"), key=lambda p: p.stat().st_size)
toc = next(damaged.glob("*.toc"))
if kind == "truncate-half":
    os.truncate(segment, segment.stat().st_size // 2)
elif kind == "truncate-zero":
    os.truncate(segment, 0)
elif kind == "random-bytes":
    segment.write_bytes(os.urandom(segment.stat().st_size))
elif kind == "delete-segment":
    segment.unlink()
elif kind == "garble-toc":
    toc.write_bytes(os.urandom(toc.stat().st_size))
elif kind == "garble-current":
    (root / "CURRENT").write_bytes(os.urandom(16))
elif kind == "empty-current":
    (root / "CURRENT").write_bytes(b"")
elif kind == "delete-generation":
    shutil.rmtree(damaged)
out["after"] = []
for query in ("refund", "printer", "refund"):
    try:
        out["after"].append(index.search(query, "en").total)
    except IndexUnavailable:
        out["after"].append("unavailable")
try:
    index.suggest("ref", "en")
    out["suggest"] = "answered"
except IndexUnavailable:
    out["suggest"] = "unavailable"
try:
    index.apply([docs[0]], [])
    out["apply"] = "applied"
except IndexUnavailable:
    out["apply"] = "unavailable"
out["check_ok"] = index.check().ok
index.rebuild(docs)  # what IndexSync.heal does: never blocked by the damaged generation or its lock
out["rebuilt"] = [index.search("refund", "en").total, index.check().ok]
out["damaged_generation_left"] = damaged.exists()
print(json.dumps(out))
"""

KINDS = [
    "truncate-half",
    "truncate-zero",
    "random-bytes",
    "delete-segment",
    "garble-toc",
    "garble-current",
    "empty-current",
    "delete-generation",
]


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    path = tmp_path_factory.mktemp("damage") / "search"
    index = SearchIndex(path)
    index.rebuild(IndexDoc(n, f"a-{n}", "en", title, "", body, None, (), True, NOW) for n, title, body in DOCS)
    index.close()
    return path


@pytest.mark.parametrize("kind", KINDS)
def test_a_damaged_index_is_unavailable_until_rebuilt(built, tmp_path, kind):
    root = tmp_path / "search"
    shutil.copytree(built, root)
    done = subprocess.run(
        [sys.executable, "-c", CHILD, kind, str(root), json.dumps(DOCS)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"the child died ({done.returncode}): {done.stderr[-2000:]}"
    out = json.loads(done.stdout)
    assert Path(out["kb"]).is_relative_to(ROOT)  # the code under test, not an installed copy
    assert out["before"] == 300
    assert out["after"] == ["unavailable"] * 3
    assert out["suggest"] == "unavailable"
    assert out["apply"] == "unavailable"
    assert out["check_ok"] is False  # so IndexSync.heal rebuilds
    assert out["rebuilt"] == [300, True]
    assert out["damaged_generation_left"] is False
    # One line per damage, however many requests met it; no tracebacks.
    reports = [line for line in done.stderr.splitlines() if line.startswith("kb.search WARNING")]
    assert len(reports) == 1, done.stderr
    assert "Traceback" not in done.stderr

"""Recurring-question detection measured on labelled support tickets: each set is loaded through
`portal insights import-tickets` into a fresh data directory, grouped by `portal insights rebuild`, read
back with `portal insights groups --format json`, and scored against the intent labels (which the
product never reads).

    python bench/recurring.py [--sets bitext_cs banking77] [--timing 5000]

Prints B-cubed precision, recall and F1 (ungrouped tickets count as singletons), coverage (share of
tickets in groups of >= 3), the rebuild's runtime and the peak memory of its process.
Targets: bitext_cs precision >= 0.90 with F1 >= 0.45; banking77 precision >= 0.80 with F1 >= 0.30;
5,000 tickets grouped in <= 10 s.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
TARGETS = {"bitext_cs": (0.90, 0.45), "banking77": (0.80, 0.30)}


def portal(data_dir: Path, *args: str) -> tuple[str, float, int]:
    """Run a `portal` command; its output, wall time and peak resident memory (MiB)."""
    env = {**os.environ, "PORTAL_DATA_DIR": str(data_dir), "PORTAL_BACKGROUND_JOBS": "false"}
    env.pop("PORTAL_DATABASE_URL", None)
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "portal.cli", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"portal {' '.join(args)} failed ({process.returncode}): {output}")
    return output, time.perf_counter() - started, usage.ru_maxrss // 1024


def bcubed(clusters: list[list[str]], labels: dict[str, str]) -> tuple[float, float, float]:
    cluster_of = {ref: i for i, members in enumerate(clusters) for ref in members}
    singles = [[ref] for ref in labels if ref not in cluster_of]
    sizes = Counter(labels.values())
    precision = recall = 0.0
    for members in clusters + singles:
        counts = Counter(labels[ref] for ref in members)
        for ref in members:
            same = counts[labels[ref]]
            precision += same / len(members)
            recall += same / sizes[labels[ref]]
    precision, recall = precision / len(labels), recall / len(labels)
    return precision, recall, 2 * precision * recall / (precision + recall)


def measure(name: str, source: Path, limit: int | None = None) -> dict:
    lines = [line for line in source.read_text(encoding="utf-8").splitlines() if line.strip()][:limit]
    labels = {str(row["id"]): str(row["intent"]) for row in map(json.loads, lines)}
    with tempfile.TemporaryDirectory(prefix="recurring-") as tmp:
        path = Path(tmp) / "tickets.jsonl"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        data_dir = Path(tmp) / "data"
        _out, import_s, _mem = portal(data_dir, "insights", "import-tickets", str(path))
        rebuilt, rebuild_s, peak_mib = portal(data_dir, "insights", "rebuild")
        printed, _s, _mem = portal(data_dir, "insights", "groups", "--format", "json")
    groups = [g["tickets"] for g in json.loads(printed)["groups"]]
    precision, recall, f1 = bcubed(groups, labels)
    inner = re.search(r"in ([0-9.]+) s", rebuilt)
    return {
        "set": name,
        "tickets": len(labels),
        "intents": len(set(labels.values())),
        "groups": len(groups),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "coverage": sum(len(g) for g in groups if len(g) >= 3) / len(labels),
        "import_s": import_s,
        "rebuild_s": rebuild_s,
        "grouping_s": float(inner.group(1)) if inner else rebuild_s,
        "peak_mib": peak_mib,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sets", nargs="+", default=list(TARGETS), choices=list(TARGETS))
    parser.add_argument("--timing", type=int, default=5000, help="Tickets of banking77 for the timing run (0: skip).")
    args = parser.parse_args()
    print(
        f"{'set':<10} {'tickets':>7} {'groups':>6} {'P':>6} {'R':>6} {'F1':>6} {'cover':>6} "
        f"{'rebuild':>8} {'peak':>8}  target"
    )
    for name in args.sets:
        r = measure(name, DATA / name / "tickets.dev.jsonl")
        p_min, f1_min = TARGETS[name]
        met = "met" if r["precision"] >= p_min and r["f1"] >= f1_min else "MISSED"
        print(
            f"{name:<10} {r['tickets']:>7} {r['groups']:>6} {r['precision']:6.3f} {r['recall']:6.3f} {r['f1']:6.3f} "
            f"{r['coverage']:6.3f} {r['grouping_s']:7.1f}s {r['peak_mib']:6d}MiB  P>={p_min} F1>={f1_min}: {met}"
        )
    if args.timing:
        r = measure("banking77", DATA / "banking77" / "tickets.dev.jsonl", limit=args.timing)
        met = "met" if r["grouping_s"] <= 10 else "MISSED"
        print(
            f"timing: {r['tickets']} tickets grouped in {r['grouping_s']:.1f} s (the whole `portal insights rebuild`"
            f" command {r['rebuild_s']:.1f} s, peak {r['peak_mib']} MiB); target <= 10 s: {met}"
        )


if __name__ == "__main__":
    main()

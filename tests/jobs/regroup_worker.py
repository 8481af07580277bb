"""Another portal process on the test's database, as a second server worker or machine would be.

Run by tests/jobs/test_regrouping.py:

    python regroup_worker.py DATABASE_URL     "ready" on standard output; then for each line MOMENT
                                              (ISO 8601) on standard input, the background pass's
                                              rebuild at that moment: "rebuilt" or "skipped"
"""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime

from portal import db
from portal.jobs import regrouping


async def main(url: str) -> None:
    db.bind(db.engine_for(url))
    print("ready", flush=True)
    for line in sys.stdin:
        rebuilt = await regrouping.when_due(datetime.fromisoformat(line.strip()))
        print("rebuilt" if rebuilt else "skipped", flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))

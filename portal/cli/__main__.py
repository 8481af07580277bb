"""`python -m portal.cli`: the `portal` command without its script, as tests and benchmarks run it."""

import sys

from portal.cli.commands import main

sys.exit(main())

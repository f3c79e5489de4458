"""`python -m benchmarks [flags]`, from a checkout of the repository (the harness is not in the wheel)."""

import sys

from benchmarks.cli import main

sys.exit(main())

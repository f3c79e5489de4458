"""`python -m ac_export.cli`: the same as `ac-export`."""

import sys

from ac_export.cli import main

sys.exit(main())

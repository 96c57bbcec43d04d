"""`python -m peakwatch.cli`: the `peakwatch` command."""

import sys

from peakwatch.cli import main

sys.exit(main())

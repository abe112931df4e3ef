"""`python -m finweek_desktop.cli`: the same as the `finweek` command."""

import sys

from .main import main

sys.exit(main())

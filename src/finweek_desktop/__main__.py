"""`python -m finweek_desktop` starts the desktop application."""

import sys

from finweek_desktop.gui.app import main

sys.exit(main())

"""The `finweek` command line.

Each module of this package registers a group of subcommands with
``register(subparsers)``; a subcommand's handler is called as
``handler(args, catalog)`` with the opened catalog, and returns an exit code.
"""

from .main import main

__all__ = ["main"]

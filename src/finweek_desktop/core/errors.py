"""Errors raised while opening a catalog; their messages are for the user."""

from __future__ import annotations


class CatalogOpenError(RuntimeError):
    """The catalog cannot be opened."""


class CatalogDamaged(CatalogOpenError):
    """The catalog's database lost what its index or store still hold.

    Nothing was changed: opening it as it is would seed, re-index or repair
    over the only remaining copy of the researcher's work."""


class CatalogUnavailable(RuntimeError):
    """A team catalog's server cannot be reached (or went away mid-write).

    Nothing was saved by the write that failed (or, if the server went away
    during its commit, the change log says whether it was: the write is never
    run again by itself, so nothing is written twice). Search goes on from this
    desktop's index; the connection comes back by itself."""


class CatalogFull(RuntimeError):
    """The disk holding the catalog's database is full: the write was
    refused and nothing of it was saved. The message says where and how
    much to free, for the user; reading goes on."""


class ReadOnlyCatalog(RuntimeError):
    """The user's PostgreSQL role may read the team catalog but not write to it."""

    def __init__(self) -> None:
        super().__init__("this team catalog is read-only for you: nothing was saved")

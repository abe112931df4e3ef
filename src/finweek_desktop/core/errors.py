"""Errors raised while opening a catalog; their messages are for the user."""

from __future__ import annotations


class CatalogOpenError(RuntimeError):
    """The catalog cannot be opened."""


class CatalogDamaged(CatalogOpenError):
    """The catalog's database lost what its index or store still hold.

    Nothing was changed: opening it as it is would seed, re-index or repair
    over the only remaining copy of the researcher's work."""

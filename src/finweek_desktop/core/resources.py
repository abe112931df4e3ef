"""Locate the data shipped with the package: ``db/`` and ``resources/``.

In a wheel both folders sit inside the package (hatchling's force-include),
and importlib.resources finds them. An editable install leaves them at the
top of the checkout, beside ``src/``; that is the one fallback.
"""

from __future__ import annotations

from importlib.resources import as_file, files
from pathlib import Path


def data_dir(name: str) -> Path:
    """A real directory path for ``db`` or ``resources``."""
    packaged = files("finweek_desktop") / name
    if packaged.is_dir():
        with as_file(packaged) as path:  # a no-op for an unzipped install
            return Path(path)
    checkout = Path(__file__).resolve().parents[3] / name
    if checkout.is_dir():
        return checkout
    raise FileNotFoundError(f"the package data folder {name!r} is missing from this installation")


def db_path(*parts: str) -> Path:
    return data_dir("db").joinpath(*parts)


def resource_path(*parts: str) -> Path:
    return data_dir("resources").joinpath(*parts)

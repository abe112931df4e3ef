"""Team catalog URLs as the user sees and the settings keep them.

A password never goes into the settings: libpq finds it in ``~/.pgpass`` or a
service file (``service=...``), or the system keyring keeps it when the
``keyring`` package is installed.
"""

from __future__ import annotations

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

KEYRING_SERVICE = "finweek-desktop team catalog"


def check_url(text: str) -> str:
    """The URL, checked: a PostgreSQL one; raises ValueError with a sentence otherwise."""
    text = text.strip()
    try:
        url = make_url(text)
    except ArgumentError:
        raise ValueError(f"{text!r} is not a database URL (postgresql+psycopg://user@host/database)") from None
    if url.get_backend_name() != "postgresql":
        raise ValueError("a team catalog is a PostgreSQL database: postgresql+psycopg://user@host/database")
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


def without_password(text: str) -> str:
    url = make_url(text)
    bare = URL.create(url.drivername, url.username, None, url.host, url.port, url.database, url.query)
    return bare.render_as_string(hide_password=False)


def password_of(text: str) -> str | None:
    return make_url(text).password


def with_password(text: str, password: str | None) -> str:
    if not password:
        return text
    return make_url(text).set(password=password).render_as_string(hide_password=False)


def catalog_label(text: str | None) -> str:
    """How the title bar names the catalog: "team catalog finweek on db.example"."""
    if not text:
        return "my own catalog"
    url = make_url(text)
    where = url.host or url.query.get("service") or "this computer"
    return f"team catalog {url.database or ''} on {where}".replace("  ", " ")


def keyring_password(url: str) -> str | None:
    """The password the system keyring keeps for this URL (None without keyring)."""
    try:
        import keyring  # optional: the system's keyring

        return keyring.get_password(KEYRING_SERVICE, without_password(url))
    except Exception:  # not installed, or no keyring backend on this system
        return None


def keep_password(url: str, password: str) -> bool:
    """Keep the password in the system keyring; False when there is none."""
    try:
        import keyring

        keyring.set_password(KEYRING_SERVICE, without_password(url), password)
        return True
    except Exception:
        return False

"""A fresh, empty database for one benchmark run, removed afterwards."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit


def fresh_database(label: str) -> tuple[str, Callable[[], None]]:
    """A DATABASE_URL for a new, empty database, and a function that removes it afterwards:
    a new PostgreSQL database beside the one DATABASE_URL names, else a temporary SQLite file."""
    given = os.environ.get("DATABASE_URL", "")
    if given.startswith(("postgres://", "postgresql://")):
        import psycopg

        parts = urlsplit(given)
        name = f"{parts.path.lstrip('/') or 'portal'}_{label}_bench_{os.getpid()}"
        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')

        def drop():
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        return urlunsplit(parts._replace(path=f"/{name}")), drop
    folder = tempfile.mkdtemp(prefix=f"{label}-bench-")
    return f"sqlite:///{folder}/bench.sqlite3", lambda: shutil.rmtree(folder, ignore_errors=True)

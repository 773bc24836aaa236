"""Local infrastructure for benchmarks and multi-process tests: a fresh database and a quiet
threaded server for the portal (and so the Graph sandbox) on a free loopback port."""

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
        name = f"{parts.path.lstrip('/') or 'portal'}_{label}_{os.getpid()}"
        admin = urlunsplit(parts._replace(path="/postgres"))

        def drop():
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

        drop()  # a run killed earlier may have left it
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return urlunsplit(parts._replace(path=f"/{name}")), drop
    folder = tempfile.mkdtemp(prefix=f"{label}-")
    return f"sqlite:///{folder}/{label}.sqlite3", lambda: shutil.rmtree(folder, ignore_errors=True)


def quiet_server():
    """The portal's WSGI app on 127.0.0.1 with a free port, without request logging (Django must
    be set up). The caller runs `serve_forever()`, in a thread or in the foreground."""
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler
    from django.core.wsgi import get_wsgi_application

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args):
            pass

    server = ThreadedWSGIServer(("127.0.0.1", 0), Quiet, allow_reuse_address=True)
    server.daemon_threads = True
    server.set_app(get_wsgi_application())
    return server


def background_server():
    """`quiet_server()` serving from a daemon thread; returns the server (call `shutdown()`)."""
    import threading

    server = quiet_server()
    threading.Thread(target=server.serve_forever, name="sandbox-server", daemon=True).start()
    return server


class QueryCounter:
    """A connection execute wrapper for benchmarks that counts queries per side: the thread that
    made it is the portal, every other thread (the local server's) the sandbox. `install` is
    also a `connection_created` receiver, so the server threads' new connections count too."""

    def __init__(self):
        import threading

        self.main = threading.get_ident()
        self.portal = 0
        self.sandbox = 0
        self.lock = threading.Lock()

    def __call__(self, execute, sql, params, many, context):
        import threading

        with self.lock:
            if threading.get_ident() == self.main:
                self.portal += 1
            else:
                self.sandbox += 1
        return execute(sql, params, many, context)

    def install(self, connection, **kwargs):
        if self not in connection.execute_wrappers:
            connection.execute_wrappers.append(self)

"""Graph calls of a sync run made on worker threads, so that the next batch is built, and Meta's
answers applied, while a batch is on its way.

Only HTTP runs on the workers: each has its own `requests` session (`GraphClient.with_session`)
and the client's hooks are `graph.journal.DeferredHooks`, which touch no database. Every
database read and write stays on the run's own thread (`result()` is joined there), so the
order of the crash-safe steps is unchanged: a batch row is written before its call, its handle
after the answer, products are marked synced only from Meta's status for that handle.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from graph.client.session import new_session

#: While waiting for a worker, the run's thread wakes this often to keep its lease (`keep_alive`).
WAKE_SECONDS = 1.0


def threads_allowed() -> bool:
    """Whether calls may run beside the run's thread. Not on an in-memory SQLite database (the
    test suite's): its one connection is shared by every thread of the process, the sandbox's
    live server included, and two requests at once break it ("database table is locked")."""
    from django.db import connection

    return not (connection.vendor == "sqlite" and connection.is_in_memory_db())


class Calls:
    """At most `workers` Graph calls at a time beside the run's thread (with `workers=0`, each
    call is made at once on the run's thread: same order of steps, no overlap)."""

    def __init__(self, client, *, workers: int = 2, keep_alive: Callable[[], None] | None = None):
        self.client = client
        self.keep_alive = keep_alive
        self._local = threading.local()
        self._sessions: list = []
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="catalog-sync-graph") \
            if workers else None

    def submit(self, verb: str, *args: Any, **kwargs: Any) -> Future:
        """`client.<verb>(*args, **kwargs)` on a worker thread."""
        if self._pool is None:
            return self._done(getattr(self.client, verb), *args, **kwargs)
        return self._pool.submit(self._call, verb, args, kwargs)

    def run(self, work: Callable, *args: Any) -> Future:
        """`work(client, *args)` on a worker thread (several calls in a row: the catalog listing)."""
        if self._pool is None:
            return self._done(work, self.client, *args)
        return self._pool.submit(lambda: work(self._thread_client(), *args))

    @staticmethod
    def _done(work: Callable, *args: Any, **kwargs: Any) -> Future:
        future: Future = Future()
        try:
            future.set_result(work(*args, **kwargs))
        except BaseException as exc:  # handed to whoever reads the result, as a worker's would be
            future.set_exception(exc)
        return future

    def _thread_client(self):
        client = getattr(self._local, "client", None)
        if client is None:
            session = new_session()
            self._sessions.append(session)
            client = self._local.client = self.client.with_session(session)
        return client

    def _call(self, verb: str, args, kwargs):
        return getattr(self._thread_client(), verb)(*args, **kwargs)

    def result(self, future: Future):
        """The call's answer (or its exception), waited for on the run's thread."""
        while True:
            try:
                return future.result(timeout=WAKE_SECONDS)
            except FutureTimeout:
                if self.keep_alive is not None:
                    self.keep_alive()

    def close(self) -> None:
        """Wait for the calls still running (their answers are not applied) and stop the workers."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
        for session in self._sessions:
            session.close()

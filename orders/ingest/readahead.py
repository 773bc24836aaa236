"""Reading Meta's next page while we write the one we have.

A poll alternates two kinds of work: waiting for Meta to serve a page (hundreds of ms at
Meta; the sandbox's CPU here) and writing that page (our CPU and database). `ReadAhead` runs
the page iterator in a worker thread, at most two pages ahead, so Meta serves the next page
while we write this one: a poll costs about the larger of the two instead of their sum.

Nothing about the writes changes: pages are still applied one at a time, in order, each in
its own transaction, on the poll's thread. The worker only makes the Graph calls (and the
client's journal and usage writes, on its own database connection, closed when it ends); an
error it meets (Meta's, or the connection's) is raised on the poll's thread where the page
would have been read, so a poll fails exactly where it failed before. Leaving the loop early
(an error while writing) stops the worker after the call it is making.

Off inside a transaction (the worker's journal writes would wait on it; tests that run in one
read pages in turn) and on SQLite's in-memory databases (their connections share one cache and
lock each other out instead of waiting); `ORDERS_READ_AHEAD = False` turns it off.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db import connection, connections

_END = object()


def enabled() -> bool:
    if not getattr(settings, "ORDERS_READ_AHEAD", True):
        return False
    if connection.in_atomic_block:
        return False
    return not (connection.vendor == "sqlite" and connection.is_in_memory_db())


def pages(iterable: Iterable) -> ReadAhead | InTurn:
    """`iterable` read ahead in a worker thread when `enabled()`, else in turn; use it as
    `with pages(...) as items: for item in items: ...` (leaving the block stops the worker)."""
    return ReadAhead(iterable) if enabled() else InTurn(iterable)


class InTurn:
    """The same interface, without a thread."""

    def __init__(self, iterable: Iterable):
        self._iterable = iterable

    def __enter__(self) -> Iterator:
        return iter(self._iterable)

    def __exit__(self, *exc) -> None:
        return None


class ReadAhead:
    """Iterate over `iterable` from a worker thread, at most two items ahead (see the module)."""

    def __init__(self, iterable: Iterable):
        self._items: queue.Queue = queue.Queue(maxsize=1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(iterable,), name="orders-read-ahead", daemon=True)
        self._thread.start()

    def __enter__(self) -> Iterator:
        return iter(self)

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker (after the call it is making) and wait for it."""
        self._stop.set()
        self._thread.join()

    def _run(self, iterable: Iterable) -> None:
        try:
            for item in iterable:
                if not self._put((item, None)):
                    return
            self._put((_END, None))
        except BaseException as exc:  # handed to the consumer, raised there
            self._put((None, exc))
        finally:
            connections.close_all()  # this thread's own connections

    def _put(self, entry: tuple[Any, BaseException | None]) -> bool:
        while not self._stop.is_set():
            try:
                self._items.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def __iter__(self) -> Iterator:
        try:
            while True:
                item, error = self._items.get()
                if error is not None:
                    raise error
                if item is _END:
                    return
                yield item
        finally:
            self.close()

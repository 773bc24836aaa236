"""The call journal and usage figures of a busy client, written in batches.

A client's hooks (``GraphClient`` ``on_call``, ``on_usage``, ``on_success``,
``on_token_invalid``; ``shops.graph`` wires them to a ``GraphCall`` row per attempt, the
connection's usage figures, ``last_ok_at`` and "needs reconnect") write as each call ends. A run
that makes many calls (the catalog's full sync: items_batch, status checks, the catalog listing)
would pay a journal INSERT and a usage UPDATE per call, and could not make calls from another
thread, since the hooks touch the database.

``DeferredHooks(client)`` puts itself in front of them: the hooks it installs only note what
happened (any thread may call them), and ``flush()`` (from the thread that owns the database
connection) replays it through the original hooks: every journal row in one INSERT, with the
time of its call; the usage readings folded into one (``graph.usage.fold_readings``) and stored
at most every ``usage_every`` seconds, at once when they show pressure (at least
``PRESSURE_NOW`` %, or a wait to regain access) so that budget decisions read fresh figures;
``on_success`` once; a token-invalid answer at once on the next flush. As with the client's own hook calls, a failing
write is logged and the work goes on. A worker killed between two flushes loses the journal rows
of its last calls, nothing else: the journal is for people, no decision reads it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from django.utils import timezone

from graph.client.results import CallRecord
from graph.models import GraphCall
from graph.usage import fold_readings, merge_usage, usage_pressure

log = logging.getLogger(__name__)

#: Usage at or above this percentage (or a wait to regain access) is stored at the next flush.
PRESSURE_NOW = 50.0


class DeferredHooks:
    """Buffers a client's hooks until ``flush()`` (see the module docstring)."""

    def __init__(self, client, *, usage_every: float = 10.0) -> None:
        self._on_call: Callable | None = client.on_call
        self._on_usage: Callable | None = client.on_usage
        self._on_success: Callable | None = client.on_success
        self._on_token_invalid: Callable | None = client.on_token_invalid
        self.usage_every = usage_every
        self._lock = threading.Lock()
        self._calls: list[tuple[CallRecord, datetime]] = []
        self._usage: dict | None = None
        self._usage_written = time.monotonic()  # the first reading waits its turn like the others
        self._succeeded = False
        self._invalid: list[Any] = []
        client.on_call = self.note_call
        client.on_usage = self.note_usage
        client.on_success = self.note_success
        client.on_token_invalid = self.note_token_invalid

    # --- hooks (any thread; no database) ---

    def note_call(self, record: CallRecord) -> None:
        with self._lock:
            self._calls.append((record, timezone.now()))

    def note_usage(self, usage: dict) -> None:
        with self._lock:
            self._usage = fold_readings(self._usage, usage)

    def note_success(self) -> None:
        self._succeeded = True

    def note_token_invalid(self, error) -> None:
        with self._lock:
            self._invalid.append(error)

    def pressing(self) -> bool:
        """Whether a reading not yet written shows pressure (the next `flush` writes it): a budget
        decision must flush first, or it reads figures older than the last answer."""
        with self._lock:
            usage = self._usage
        return usage is not None and self._pressing(usage)

    # --- flush (the thread that owns the database connection) ---

    def flush(self, *, force: bool = False) -> None:
        """Write what the hooks noted: the journal rows in one INSERT; the usage when it is due,
        shows pressure, or `force`; `on_success` once; token-invalid answers."""
        with self._lock:
            calls, self._calls = self._calls, []
            invalid, self._invalid = self._invalid, []
            usage = self._usage
            write_usage = usage is not None and (force or self._pressing(usage)
                                                 or time.monotonic() - self._usage_written >= self.usage_every)
            if write_usage:
                self._usage = None
            succeeded, self._succeeded = self._succeeded, False
        if calls and self._on_call is not None:
            with _logged("journal"), GraphCall.objects.collected() as rows:
                for record, at in calls:
                    before = len(rows)
                    self._on_call(record)
                    for row in rows[before:]:
                        row.created = at
        if write_usage and self._on_usage is not None:
            with _logged("usage"):
                self._on_usage(usage)
            self._usage_written = time.monotonic()
        if succeeded and self._on_success is not None:
            with _logged("success"):
                self._on_success()
        for error in invalid:
            if self._on_token_invalid is not None:
                with _logged("token"):
                    self._on_token_invalid(error)

    @staticmethod
    def _pressing(usage: dict) -> bool:
        return usage_pressure(merge_usage(None, usage)) >= PRESSURE_NOW


@contextmanager
def _logged(what: str) -> Iterator[None]:
    """Like the client's own hook calls: a failing journal or usage write never breaks the work."""
    try:
        yield
    except Exception:
        log.warning("deferred graph %s hook failed", what, exc_info=True)

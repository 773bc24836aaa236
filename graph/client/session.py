"""The pooled ``requests.Session``: one per process, re-created after a fork."""

from __future__ import annotations

import os
import threading

import requests
from requests.adapters import HTTPAdapter

_session_lock = threading.Lock()
_session: requests.Session | None = None
_session_pid: int | None = None


def new_session() -> requests.Session:
    """A pooled session configured for Graph. ``requests`` does not promise that one session is
    safe to share between threads: a thread making calls beside another gets its own
    (``GraphClient.with_session``)."""
    session = requests.Session()
    # Retries are ours (they depend on the Graph error), never urllib3's.
    adapter = HTTPAdapter(pool_connections=8, pool_maxsize=32, max_retries=0)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.headers.update({"User-Agent": "seller-portal-graph-client/1", "Accept": "application/json"})
    return session


def shared_session() -> requests.Session:
    """One pooled session per process (re-created after a fork, e.g. in a django-q2 worker)."""
    global _session, _session_pid
    with _session_lock:
        if _session is None or _session_pid != os.getpid():
            _session, _session_pid = new_session(), os.getpid()
        return _session

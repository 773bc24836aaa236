from __future__ import annotations

import time
from datetime import datetime

import pytest
from django.utils import timezone

from graph.client import shared_session
from graph.tests.helpers import HANG


@pytest.fixture
def settle_hung_requests(sandbox):
    """After a sandbox test: let the sandbox finish the requests it keeps hanging, and close the
    client's keep-alive connections, so that no live-server thread outlives its test (and
    touches the next test's database connection)."""
    yield
    hung = [r for r in sandbox.requests() if r.get("fault") in ("hang", "after_apply")]
    if hung:
        last = max(datetime.fromisoformat(r["created"]) for r in hung)
        remaining = HANG + 0.2 - (timezone.now() - last).total_seconds()
        if remaining > 0:
            time.sleep(remaining)
    shared_session().close()
    sandbox.session.close()

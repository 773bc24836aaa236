"""A failed catalog sync tells the seller what happened and what happens next, in their
language; the raw exception text stays for staff (issue 12)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from catalog import sync
from catalog.models import SyncRun
from catalog.tests.factories import make_product
from graph.errors import FAILURE_SENTENCES, classify, failure_kind, seller_failure


def test_a_sync_failing_on_a_dropped_connection_reads_as_a_sentence_in_the_sellers_language(meta_shop, owner):
    shop = meta_shop.shop
    make_product(shop, retailer_id="T-1")
    meta_shop.sandbox.add_fault(path="*/items_batch", method="POST", kind="drop", count=None)
    try:
        sync.sync_shop(shop.pk, "changes")
    except Exception:  # the task fails (django-q records it); the run says why
        pass
    run = SyncRun.objects.filter(shop=shop).latest("pk")
    assert run.status == SyncRun.Status.FAILED
    assert "Transient" in run.error  # the raw detail is kept for staff
    url = reverse("catalog:index", args=[shop.pk])
    page = owner.get(url).content.decode()
    assert "We could not reach Meta (no answer came back). We will try again automatically" in page
    assert "Transient" not in page and "ConnectionError" not in page and "Connection aborted" not in page
    history = owner.get(reverse("catalog:sync_history", args=[shop.pk])).content.decode()
    assert "We could not reach Meta" in history and "Transient" not in history
    owner.post(reverse("set_language"), {"language": "zh-hans"})
    page = owner.get(url).content.decode()
    with translation.override("zh-hans"):
        chinese = str(FAILURE_SENTENCES["connection"])
    assert chinese == "我们无法连接 Meta（没有收到任何回应）。系统会自动重试，您无需做任何操作。"
    assert chinese in page


@pytest.mark.parametrize("status,payload,kind", [
    (400, {"error": {"code": 190, "message": "Error validating access token"}}, "token"),
    (403, {"error": {"code": 200, "message": "(#200) Requires catalog_management"}}, "permission"),
    (400, {"error": {"code": 80014, "message": "too many calls"}}, "throttle"),
    (500, {"error": {"code": 2, "message": "Service temporarily unavailable", "is_transient": True}}, "transient"),
    (503, None, "transient"),
    (400, {"error": {"code": 100, "message": "(#100) Invalid parameter"}}, "validation"),
    (400, {"error": {"code": 803, "message": "Some of the aliases you requested do not exist"}}, "not_found"),
    (400, {"error": {"code": 12, "message": "removed"}}, "removed"),
])
def test_every_graph_error_kind_has_its_sentence_from_the_exception_and_from_the_stored_text(status, payload, kind):
    exc = classify(status, payload)
    assert failure_kind(exc) == kind
    assert failure_kind(f"{type(exc).__name__}: {exc}") == kind  # as catalog/sync/run.py stores it
    assert seller_failure(exc) == str(FAILURE_SENTENCES[kind])


def test_no_answer_at_all_is_a_connection_failure_and_anything_else_is_unexpected():
    from graph.errors import NotConnected, Transient

    assert failure_kind(Transient("The connection to Meta failed (ConnectionError: reset).")) == "connection"
    assert failure_kind("Transient: Meta did not answer within 30 s.") == "connection"
    assert failure_kind("Transient: Meta answered HTTP 503.") == "transient"
    assert failure_kind(NotConnected("no token")) == "not_connected"
    assert failure_kind(KeyError("x")) == failure_kind("KeyError: 'x'") == failure_kind("boom") == "unexpected"
    assert seller_failure("") == ""

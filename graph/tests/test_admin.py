"""Staff pages: the Graph call journal and webhook events in the admin."""

from __future__ import annotations

import pytest
from django.urls import reverse

from graph import webhooks
from graph.models import GraphCall, WebhookEvent


@pytest.fixture
def calls(shop_a, shop_b):
    rows = [
        GraphCall(shop=shop_a, method="GET", path="me", api_version="v26.0", status_code=200, duration_ms=30),
        GraphCall(shop=shop_a, method="POST", path="1/items_batch", api_version="v26.0", status_code=500,
                  error_class="Transient", error_code=2, error_message="(#2) Service unavailable",
                  fbtrace_id="TRACE-A", attempt=2, is_retry=True),
        GraphCall(shop=shop_b, method="GET", path="2/commerce_orders", api_version="v25.0", status_code=400,
                  error_class="TokenInvalid", error_code=190, error_subcode=463, fbtrace_id="TRACE-B"),
        GraphCall(shop=None, method="GET", path="debug_token", api_version="v26.0", status_code=None,
                  error_class="Transient", error_message="Meta did not answer within 30.0 s."),
    ]
    return GraphCall.objects.bulk_create(rows)


def _listed(response):
    return {row.pk for row in response.context["cl"].result_list}


@pytest.mark.parametrize(("query", "expected"), [
    ("", {0, 1, 2, 3}),
    ("outcome=ok", {0}),
    ("outcome=error", {1, 2, 3}),
    ("outcome=no_answer", {3}),
    ("outcome=retry", {1}),
    ("status_class=5xx", {1}),
    ("status_class=4xx", {2}),
    ("method__exact=POST", {1}),
    ("error_code__exact=190", {2}),
    ("api_version__exact=v25.0", {2}),
    ("q=TRACE-B", {2}),
    ("q=items_batch", {1}),
])
def test_the_journal_filters(admin_client, calls, query, expected):
    response = admin_client.get(reverse("admin:graph_graphcall_changelist") + "?" + query)
    assert response.status_code == 200
    assert _listed(response) == {calls[i].pk for i in expected}


def test_the_journal_filters_by_shop_and_date(admin_client, calls, shop_b):
    url = reverse("admin:graph_graphcall_changelist")
    assert _listed(admin_client.get(f"{url}?shop__id__exact={shop_b.pk}")) == {calls[2].pk}
    today = calls[0].created
    response = admin_client.get(f"{url}?created__year={today.year}&created__month={today.month}&created__day={today.day}")
    assert _listed(response) == {c.pk for c in calls}


def test_the_journal_list_is_a_fixed_number_of_queries(admin_client, calls, shop_a, django_assert_max_num_queries):
    GraphCall.objects.bulk_create([GraphCall(shop=shop_a, method="GET", path=f"x{i}", api_version="v26.0",
                                             status_code=200) for i in range(30)])
    with django_assert_max_num_queries(12):
        assert admin_client.get(reverse("admin:graph_graphcall_changelist")).status_code == 200


def test_the_journal_is_read_only(admin_client, calls):
    assert admin_client.get(reverse("admin:graph_graphcall_add")).status_code == 403
    change = admin_client.get(reverse("admin:graph_graphcall_change", args=[calls[1].pk]))
    assert change.status_code == 200
    assert b"TRACE-A" in change.content
    assert b'name="_save"' not in change.content


def test_webhook_events_list_and_reprocess(admin_client, db, settings):
    webhooks.store_envelope({"object": "page", "entry": [{"id": "9", "time": 5, "changes": [
        {"field": "feed", "value": {"access_token": "must-not-show", "x": 1}}]}]})
    event = WebhookEvent.objects.get()
    url = reverse("admin:graph_webhookevent_changelist")
    page = admin_client.get(url + "?status__exact=pending")
    assert page.status_code == 200 and _listed(page) == {event.pk}
    detail = admin_client.get(reverse("admin:graph_webhookevent_change", args=[event.pk]))
    assert detail.status_code == 200 and b"must-not-show" not in detail.content
    # reprocessing runs the task (inline in tests): no handler for page/feed -> ignored
    response = admin_client.post(url, {"action": "reprocess", "_selected_action": [event.pk]}, follow=True)
    assert response.status_code == 200
    event.refresh_from_db()
    assert event.status == WebhookEvent.Status.IGNORED

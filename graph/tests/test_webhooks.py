"""The webhook receiver: handshake, signature check, storing once, dispatch to handlers."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from graph import webhooks
from graph.models import WebhookEvent
from graph.tasks import process_webhook_event
from graph.tests.helpers import swapped_handler
from kernel import jobs

URL = "/webhooks/meta/"
SECRET_TOKEN_VALUE = "sys-user-token-" + "x" * 12


@pytest.fixture(autouse=True)
def meta_settings(settings):
    settings.META_APP_SECRET = "webhook-test-app-secret"
    settings.META_WEBHOOK_VERIFY_TOKEN = "verify-me"
    return settings


@pytest.fixture
def handler_calls():
    calls = []

    def handler(event):
        calls.append((event.pk, event.value))
        return "handled"

    with swapped_handler("user", "fbe_install", handler):
        yield calls


def fbe_install_body(time=1566839325, business_id="shop-abc"):
    return json.dumps({
        "object": "user",
        "entry": [{
            "id": "100001", "uid": "100001", "time": time,
            "changes": [{"field": "fbe_install", "value": {
                "business_id": business_id, "business_manager_id": "9737661", "catalog_id": "72663536",
                "pixel_id": "19645837", "access_token": SECRET_TOKEN_VALUE, "install_time": time,
            }}],
        }],
    }).encode()


def post(client, body, signature="auto", secret="webhook-test-app-secret"):
    headers = {}
    if signature == "auto":
        headers["HTTP_X_HUB_SIGNATURE_256"] = webhooks.sign(body, secret)
    elif signature is not None:
        headers["HTTP_X_HUB_SIGNATURE_256"] = signature
    return client.post(URL, data=body, content_type="application/json", **headers)


def test_the_url_is_named():
    assert reverse("graph:meta_webhook") == URL


def test_handshake_answers_the_raw_challenge(client):
    response = client.get(URL, {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"})
    assert response.status_code == 200
    assert response.content == b"1158201444"
    assert response["Content-Type"].startswith("text/plain")


@pytest.mark.parametrize("query", [
    {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"},
    {"hub.mode": "unsubscribe", "hub.verify_token": "verify-me", "hub.challenge": "1"},
    {"hub.challenge": "1"},
])
def test_handshake_with_a_wrong_token_or_mode_is_forbidden(client, query):
    response = client.get(URL, query)
    assert response.status_code == 403
    assert b"1" not in response.content


def test_handshake_is_forbidden_when_no_verify_token_is_configured(client, settings):
    settings.META_WEBHOOK_VERIFY_TOKEN = ""
    response = client.get(URL, {"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"})
    assert response.status_code == 403


def test_a_signed_delivery_is_stored_once_and_processed(client, db, handler_calls, django_capture_on_commit_callbacks):
    body = fbe_install_body()
    with django_capture_on_commit_callbacks(execute=True):
        first = post(client, body)
    with django_capture_on_commit_callbacks(execute=True):
        second = post(client, body)  # Meta redelivers

    assert first.status_code == 200 and second.status_code == 200
    event = WebhookEvent.objects.get()
    assert (event.object, event.field, event.entry_id, event.entry_time) == ("user", "fbe_install", "100001", 1566839325)
    assert event.status == WebhookEvent.Status.PROCESSED
    assert event.note == "handled"
    assert event.processed_at is not None
    # the handler ran once and saw the full value, token included
    assert len(handler_calls) == 1
    assert handler_calls[0][1]["access_token"] == SECRET_TOKEN_VALUE


def test_the_stored_payload_masks_tokens(client, db, handler_calls, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post(client, fbe_install_body())
    event = WebhookEvent.objects.get()
    assert event.payload["change"]["value"]["access_token"] == "***"
    assert event.payload["change"]["value"]["catalog_id"] == "72663536"
    assert SECRET_TOKEN_VALUE not in json.dumps(event.payload)
    raw_column = WebhookEvent.objects.filter(pk=event.pk).values_list("sealed_payload", flat=True)
    # sealed copy is encrypted at rest (the raw column value is ciphertext)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT sealed_payload FROM graph_webhookevent WHERE id = %s", [event.pk])
        stored = cursor.fetchone()[0]
    assert stored and SECRET_TOKEN_VALUE not in stored
    assert raw_column  # readable through the field


def test_a_different_time_is_a_new_event(client, db, handler_calls, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        post(client, fbe_install_body(time=1))
        post(client, fbe_install_body(time=2))
    assert WebhookEvent.objects.count() == 2
    assert len(handler_calls) == 2


@pytest.mark.parametrize("signature", [
    None,
    "",
    "sha256=" + "0" * 64,
    "sha1=" + "0" * 40,
    "sha256=not-hex",
])
def test_missing_or_bad_signature_is_forbidden_and_nothing_is_stored(client, db, signature):
    response = post(client, fbe_install_body(), signature=signature)
    assert response.status_code == 403
    assert WebhookEvent.objects.count() == 0


def test_a_signature_made_with_another_secret_is_forbidden(client, db):
    response = post(client, fbe_install_body(), signature="auto", secret="someone-elses-secret")
    assert response.status_code == 403
    assert WebhookEvent.objects.count() == 0


def test_a_signature_over_another_body_is_forbidden(client, db):
    signature = webhooks.sign(fbe_install_body(time=1), "webhook-test-app-secret")
    response = post(client, fbe_install_body(time=2), signature=signature)
    assert response.status_code == 403
    assert WebhookEvent.objects.count() == 0


def test_signed_but_invalid_json_is_a_bad_request(client, db):
    assert post(client, b"{not json").status_code == 400
    assert post(client, b'{"entry": []}').status_code == 400
    assert WebhookEvent.objects.count() == 0


def test_unknown_events_are_marked_ignored_with_a_note(client, db, django_capture_on_commit_callbacks):
    body = json.dumps({"object": "page", "entry": [{"id": "5", "time": 7, "changes": [
        {"field": "feed", "value": {"item": "post"}}, {"field": "ratings", "value": {"x": 1}}]}]}).encode()
    with django_capture_on_commit_callbacks(execute=True):
        assert post(client, body).status_code == 200
    events = list(WebhookEvent.objects.order_by("field"))
    assert [e.field for e in events] == ["feed", "ratings"]
    assert all(e.status == WebhookEvent.Status.IGNORED for e in events)
    assert events[0].note == "No handler for page/feed."


def test_a_failing_handler_marks_the_event_failed_and_can_be_retried(db):
    attempts = []

    def flaky(event):
        attempts.append(event.pk)
        if len(attempts) == 1:
            raise RuntimeError("Graph was down")
        return "ok on retry"

    with swapped_handler("user", "fbe_install", flaky):
        webhooks.store_envelope(json.loads(fbe_install_body()))
        event = WebhookEvent.objects.get()
        with pytest.raises(RuntimeError):
            process_webhook_event(event.pk)
        event.refresh_from_db()
        assert event.status == WebhookEvent.Status.FAILED
        assert "Graph was down" in event.note
        assert process_webhook_event(event.pk) == WebhookEvent.Status.PROCESSED
        # processed events are not handled again
        assert process_webhook_event(event.pk) == WebhookEvent.Status.PROCESSED
        event.refresh_from_db()
        assert (event.status, event.attempts, len(attempts)) == (WebhookEvent.Status.PROCESSED, 2, 2)
        assert not jobs.is_held(f"graph.webhook:{event.pk}")


def test_swapping_a_handler_in_tests_restores_the_apps_own():
    before = webhooks.handler_for("user", "fbe_install")
    with swapped_handler("user", "fbe_install", lambda event: None):
        assert webhooks.handler_for("user", "fbe_install") is not before
    assert webhooks.handler_for("user", "fbe_install") is before


def test_processing_a_missing_event_is_harmless(db):
    assert process_webhook_event(987654) == "missing"


def test_signature_helper_is_constant_time_and_strict():
    body = b'{"object":"user"}'
    good = webhooks.sign(body, "k")
    assert webhooks.signature_is_valid(body, good, "k")
    assert webhooks.signature_is_valid(body, good.upper().replace("SHA256=", "sha256="), "k")
    assert not webhooks.signature_is_valid(body, good, "")
    assert not webhooks.signature_is_valid(body + b" ", good, "k")
    assert not webhooks.signature_is_valid(body, None, "k")

"""Meta's webhook callback: the verification handshake and signed deliveries."""

from __future__ import annotations

import hmac
import json
import logging

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django_q.tasks import async_task

from graph import webhooks

log = logging.getLogger(__name__)


@csrf_exempt
@require_http_methods(["GET", "POST"])
def meta_webhook(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return _handshake(request)
    return _delivery(request)


def _handshake(request: HttpRequest) -> HttpResponse:
    expected = settings.META_WEBHOOK_VERIFY_TOKEN or ""
    given = request.GET.get("hub.verify_token", "")
    if (
        request.GET.get("hub.mode") != "subscribe"
        or not expected
        or not hmac.compare_digest(given.encode(), expected.encode())
    ):
        return HttpResponseForbidden("verification failed", content_type="text/plain")
    # The raw challenge, as plain text: Meta compares the body byte for byte.
    return HttpResponse(request.GET.get("hub.challenge", ""), content_type="text/plain")


def _delivery(request: HttpRequest) -> HttpResponse:
    try:
        body = request.body
    except RequestDataTooBig:
        return HttpResponse("payload too large", status=413, content_type="text/plain")
    if not webhooks.signature_is_valid(body, request.headers.get("X-Hub-Signature-256"), settings.META_APP_SECRET):
        log.warning("webhook with a missing or bad signature refused")
        return HttpResponseForbidden("bad signature", content_type="text/plain")
    try:
        envelope = json.loads(body)
    except ValueError:
        return HttpResponseBadRequest("invalid JSON", content_type="text/plain")
    if not isinstance(envelope, dict) or not envelope.get("object"):
        return HttpResponseBadRequest("not a webhook envelope", content_type="text/plain")

    with transaction.atomic():
        new_ids = webhooks.store_envelope(envelope)
        for event_id in new_ids:
            # Processing happens after the commit, outside this request's answer path.
            # A failed enqueue must not turn into a 500 (Meta would redeliver a duplicate we
            # ignore); graph.tasks.process_pending_webhook_events picks such events up.
            transaction.on_commit(
                lambda event_id=event_id: async_task(
                    "graph.tasks.process_webhook_event", event_id, group="graph.webhooks"
                ),
                robust=True,
            )
    log.info("webhook %s: %d new event(s)", envelope.get("object"), len(new_ids))
    return HttpResponse("ok", content_type="text/plain")

"""The token and its appsecret_proof never show up: not in logs, the journal, exception strings
or the admin pages staff use (GraphCall and MetaConnection lists and forms)."""

from __future__ import annotations

import json
import logging
import traceback

import pytest
from django.urls import reverse

from graph.client.encoding import appsecret_proof
from graph.errors import GraphError
from graph.models import GraphCall
from graph.tests.helpers import HANG
from kernel.redaction import RedactSecretsFilter
from shops.graph import app_client, client_for_shop
from shops.models import MetaConnection

OUR_LOGGERS = ("graph", "shops", "portal")

pytestmark = pytest.mark.usefixtures("settle_hung_requests")


class _RawCapture(logging.Handler):
    def __init__(self, sink: list):
        super().__init__(level=logging.DEBUG)
        self.sink = sink

    def emit(self, record):
        self.sink.append((record.name, record.getMessage()))


@pytest.fixture
def known(connect_shop, shop_a, alice, settings):
    """Shop A connected by alice through the FBE dialog, and the secrets that must never show."""
    connected = connect_shop(shop_a, alice, register_app=False)
    conn = connected.connection
    token = str(conn.access_token)
    business = connected.business
    return {
        "token": token,
        "proof": appsecret_proof(token, settings.META_APP_SECRET),
        "app_secret": settings.META_APP_SECRET,
        "connection": MetaConnection.objects.get(pk=conn.pk),
        "business": business,
    }


def _run_calls(sandbox, known) -> list[BaseException]:
    """A varied day: success, errors that echo the token, a timeout, a 190, an app-token call."""
    token = known["token"]
    errors: list[BaseException] = []
    client = client_for_shop(known["connection"], sleep=lambda s: None, max_attempts=2, read_timeout=0.5,
                             backoff_base=0.01)
    client.get("me", fields=("id", "name"))
    client.get_fbe_installs(known["connection"].shop.external_business_id)
    # Meta does not echo tokens, but if a message ever did, it must be scrubbed everywhere.
    sandbox.add_fault(path="me", kind="error", code=100, count=1,
                      message=f"(#100) Invalid parameter access_token={token} proof {known['proof']}",
                      error_user_msg=f"Your token {token} is bad")
    sandbox.add_fault(path="me", kind="hang", seconds=HANG, count=2)
    sandbox.add_fault(path="me", kind="error", code=190, error_subcode=463, count=1,
                      message=f"Error validating access token {token}: Session has expired")
    for _ in range(3):
        try:
            client.get("me")
        except GraphError as exc:
            errors.append(exc)
    try:
        client.post(known["connection"].commerce_merchant_settings_id, {"contact_email": "x@example.com",
                                                                        "note": token})
    except GraphError as exc:
        errors.append(exc)
    client.permissions()  # what the health check asks: GET /me/permissions, token in the header
    return errors


def test_no_token_or_proof_anywhere(sandbox, known, caplog, admin_client):
    token, proof, app_secret = known["token"], known["proof"], known["app_secret"]
    secrets = {"token": token, "proof": proof, "app secret": app_secret}
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")  # settings keep it at WARNING; see everything
    raw_logs = []
    raw = _RawCapture(raw_logs)
    root = logging.getLogger()
    root.handlers.insert(0, raw)  # first, so it sees records before any filter rewrites them
    try:
        errors = _run_calls(sandbox, known)
    finally:
        root.removeHandler(raw)
    assert len(errors) >= 3  # the echoing 100, the hang, the 190 all surfaced

    # exception strings, reprs and full tracebacks
    for exc in errors:
        text = str(exc) + repr(exc) + "".join(traceback.format_exception(exc)) + exc.user_message
        for name, secret in secrets.items():
            assert secret not in text, f"{name} in exception {type(exc).__name__}"

    # logs, as emitted (before any handler's filter) and as written by the portal's handlers
    # (whose redaction filter masks URL parameters). Our own loggers never have a secret. The
    # shop's token travels in a header, so no request line has it (the portal no longer calls
    # debug_token, whose input_token Meta wants in the query string); appsecret_proof is a query
    # parameter by Meta's design, and urllib3's DEBUG request lines carry it until the portal's
    # filter masks it.
    assert any(name.startswith("urllib3") for name, _ in raw_logs)
    for name, message in raw_logs:
        assert app_secret not in message, f"app secret in log {name}"
        if name.split(".")[0] in OUR_LOGGERS:
            assert token not in message and proof not in message, f"secret in log {name}: {message}"
        else:
            assert token not in message, f"token in log {name}"
    for record in caplog.records:
        RedactSecretsFilter().filter(record)
        for name, secret in secrets.items():
            assert secret not in record.getMessage(), f"{name} in written log {record.name}"

    # the journal
    rows = list(GraphCall.objects.all())
    assert len(rows) >= 7
    dumped = json.dumps([
        {f.name: str(getattr(row, f.name)) for f in GraphCall._meta.fields} for row in rows
    ])
    for name, secret in secrets.items():
        assert secret not in dumped, f"{name} in GraphCall rows"

    # the connection itself went to needs-reconnect with a clean message
    connection = MetaConnection.objects.get(pk=known["connection"].pk)
    assert connection.status == MetaConnection.Status.NEEDS_RECONNECT
    assert token not in connection.last_error

    # the admin pages staff use
    pages = [
        reverse("admin:graph_graphcall_changelist"),
        reverse("admin:graph_graphcall_changelist") + "?q=me",
        reverse("admin:shops_metaconnection_changelist"),
        reverse("admin:shops_metaconnection_change", args=[connection.pk]),
        reverse("admin:shops_shop_change", args=[connection.shop_id]),
        reverse("admin:graph_webhookevent_changelist"),
    ] + [reverse("admin:graph_graphcall_change", args=[row.pk]) for row in rows]
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        for name, secret in secrets.items():
            assert secret not in html, f"{name} on {url}"

    # and the sandbox's own journal (shown in its console) masked them too
    received = json.dumps(sandbox.requests())
    assert token not in received and proof not in received


def test_secret_parameters_are_masked_in_the_journal(sandbox, known):
    client = app_client()
    client.debug_token(known["token"])
    with pytest.raises(GraphError):
        client.exchange_code("not-a-real-code", "http://127.0.0.1/callback")
    assert GraphCall.objects.get(path="debug_token").params == {"input_token": "***"}
    exchanges = list(GraphCall.objects.filter(path="oauth/access_token").order_by("pk"))
    assert len(exchanges) == 2  # the connect's, then this test's
    assert all(row.params["client_secret"] == row.params["code"] == "***" for row in exchanges)
    exchange = exchanges[-1]
    assert exchange.params["redirect_uri"] == "http://127.0.0.1/callback"
    assert exchange.attempt == 1  # a code works once: never retried

"""Wiring of the Graph client to our models: the journal, usage figures and connection health.

``graph.client`` knows nothing of shops; this module builds clients whose hooks write a
``GraphCall`` per attempt, keep the latest usage on the ``MetaConnection``, stamp
``last_ok_at`` and flip the connection to "needs reconnect" on a token-invalid answer.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.utils import timezone

from graph.client import GraphClient
from graph.client.results import CallRecord
from graph.errors import GraphError, NotConnected
from graph.models import GraphCall
from graph.usage import merge_usage
from graph.usage import usage_pressure as _usage_pressure
from kernel.redaction import redact
from shops.models import MetaConnection, Shop

log = logging.getLogger(__name__)

#: ``last_ok_at`` is stamped at most this often per client, to spare a write per call.
LAST_OK_EVERY = timedelta(seconds=60)


def _connection(shop_or_connection: Shop | MetaConnection | int) -> MetaConnection:
    if isinstance(shop_or_connection, MetaConnection):
        return shop_or_connection
    shop_id = shop_or_connection.pk if isinstance(shop_or_connection, Shop) else int(shop_or_connection)
    return MetaConnection.objects.select_related("shop").get(shop_id=shop_id)


def _scrub(text: str, *secrets: str) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return redact(text)


def record_call(shop_id: int | None, record: CallRecord, *, secrets: tuple[str, ...] = ()) -> GraphCall:
    """Write one journal row for one call attempt."""
    error = record.error
    return GraphCall.objects.create(
        shop_id=shop_id,
        method=record.method,
        path=_scrub(record.path, *secrets)[:500],
        api_version=record.version,
        params={k: _scrub(str(v), *secrets) for k, v in record.params.items()},
        status_code=record.status,
        duration_ms=record.duration_ms,
        attempt=record.attempt,
        is_retry=record.is_retry,
        error_class=type(error).__name__ if error else "",
        error_code=error.code if error else None,
        error_subcode=error.subcode if error else None,
        error_message=_scrub(str(error), *secrets)[:2000] if error else "",
        fbtrace_id=(record.fbtrace_id or (error.fbtrace_id if error else ""))[:64],
    )


def mark_needs_reconnect(connection: MetaConnection, error: GraphError) -> None:
    """The one place a token-invalid answer turns a connection to "needs reconnect"."""
    # Meta's own words (stored, so not in the worker's language); pages add the call to action.
    message = _scrub(error.user_msg or str(error), str(connection.access_token or ""))
    # A disconnected connection stays disconnected: a 190 on the uninstall the seller asked for
    # (Meta applied it, the answer was lost, the retry meets the token that uninstall revoked)
    # means the disconnect is done, not that the seller must reconnect.
    changed = MetaConnection.objects.filter(pk=connection.pk).exclude(
        status=MetaConnection.Status.DISCONNECTED).update(
        status=MetaConnection.Status.NEEDS_RECONNECT, last_error=message[:2000], last_checked_at=timezone.now()
    )
    if not changed:
        return
    connection.status = MetaConnection.Status.NEEDS_RECONNECT
    connection.last_error = message
    log.warning("Meta connection of shop %s needs reconnecting: %s", connection.shop_id, error)


class _ConnectionHooks:
    """Hooks bound to one connection; kept as an object so each client has its own state."""

    def __init__(self, connection: MetaConnection) -> None:
        self.connection = connection
        self.secrets = (str(connection.access_token or ""),)
        self.last_ok_written = None

    def on_call(self, record: CallRecord) -> None:
        record_call(self.connection.shop_id, record, secrets=self.secrets)

    def on_usage(self, usage: dict) -> None:
        now = timezone.now()
        merged = merge_usage(self.connection.usage, usage, now)
        MetaConnection.objects.filter(pk=self.connection.pk).update(usage=merged, usage_updated_at=now)
        self.connection.usage, self.connection.usage_updated_at = merged, now

    def on_token_invalid(self, error: GraphError) -> None:
        mark_needs_reconnect(self.connection, error)

    def on_success(self) -> None:
        now = timezone.now()
        if self.last_ok_written and now - self.last_ok_written < LAST_OK_EVERY:
            return
        MetaConnection.objects.filter(pk=self.connection.pk).update(last_ok_at=now)
        self.connection.last_ok_at = now
        self.last_ok_written = now


def client_for_shop(shop_or_connection: Shop | MetaConnection | int, **overrides: Any) -> GraphClient:
    """A Graph client with the shop's token, journalled and wired to its connection.

    Raises ``NotConnected`` when the shop has no token. Keyword arguments override the
    settings (e.g. ``max_wait=0`` in a task that would rather reschedule than sleep).
    """
    connection = _connection(shop_or_connection)
    if not connection.has_token:
        raise NotConnected(f"Shop {connection.shop_id} has no Meta access token.")
    hooks = _ConnectionHooks(connection)
    options: dict[str, Any] = {
        "on_call": hooks.on_call,
        "on_usage": hooks.on_usage,
        "on_token_invalid": hooks.on_token_invalid,
        "on_success": hooks.on_success,
    }
    options.update(overrides)
    return GraphClient.from_settings(str(connection.access_token), **options)


def app_token() -> str:
    return f"{settings.META_APP_ID}|{settings.META_APP_SECRET}"


def app_client(**overrides: Any) -> GraphClient:
    """A client with the app access token (``app_id|app_secret``): debug_token, code exchange."""
    secrets = (settings.META_APP_SECRET,)
    options: dict[str, Any] = {"on_call": lambda record: record_call(None, record, secrets=secrets)}
    options.update(overrides)
    return GraphClient.from_settings(app_token(), **options)


def usage_pressure(connection: MetaConnection, buc_type: str | None = None, **kwargs: Any) -> float:
    """Highest usage percentage Meta reported for this shop's work of ``buc_type`` (0-100+)."""
    return _usage_pressure(connection.usage or {}, buc_type, **kwargs)

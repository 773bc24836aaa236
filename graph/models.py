from __future__ import annotations

import json
import threading
from contextlib import contextmanager

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kernel.crypto import EncryptedTextField

_collecting = threading.local()


class GraphCallManager(models.Manager):
    """``GraphCall.objects``, which can gather journal rows and insert them in one statement."""

    def create(self, **kwargs):
        rows = getattr(_collecting, "rows", None)
        if rows is None:
            return super().create(**kwargs)
        row = self.model(**kwargs)
        rows.append(row)
        return row

    @contextmanager
    def collected(self):
        """Inside the block, ``create()`` in this thread makes the row without saving it; the rows
        are inserted together when the block ends (``graph.journal.DeferredHooks.flush``)."""
        outer = getattr(_collecting, "rows", None)
        _collecting.rows = rows = []
        try:
            yield rows
        finally:
            _collecting.rows = outer
        if outer is not None:
            outer.extend(rows)
        elif rows:
            self.bulk_create(rows)


class GraphCall(models.Model):
    """One Graph API call attempt, for support staff: what we asked and what Meta answered.

    Never holds a token or an ``appsecret_proof``: the path is stored without its version or
    query, parameters are masked, messages are scrubbed before they get here.
    """

    shop = models.ForeignKey(
        "shops.Shop", null=True, blank=True, on_delete=models.CASCADE, related_name="graph_calls",
        verbose_name=_("shop"),
    )
    method = models.CharField(_("method"), max_length=8)
    path = models.CharField(_("path"), max_length=500, help_text=_("Graph path without version or query"))
    api_version = models.CharField(_("API version"), max_length=10)
    params = models.JSONField(_("parameters"), default=dict, blank=True, help_text=_("secrets masked"))
    status_code = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=1)
    is_retry = models.BooleanField(_("retry"), default=False)
    error_class = models.CharField(_("error type"), max_length=40, blank=True)
    error_code = models.IntegerField(_("error code"), null=True, blank=True)
    error_subcode = models.IntegerField(_("error subcode"), null=True, blank=True)
    error_message = models.TextField(_("error message"), blank=True)
    fbtrace_id = models.CharField(_("fbtrace_id"), max_length=64, blank=True)
    created = models.DateTimeField(_("created"), default=timezone.now, db_index=True)

    objects = GraphCallManager()

    class Meta:
        ordering = ["-created", "-pk"]
        verbose_name = _("Graph call")
        verbose_name_plural = _("Graph calls")
        indexes = [
            models.Index(fields=["shop", "-created"], name="graphcall_shop_created"),
            models.Index(fields=["error_code", "-created"], name="graphcall_error_created"),
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status_code or '—'}"

    @property
    def ok(self) -> bool:
        return not self.error_class and self.status_code is not None and 200 <= self.status_code < 300


class WebhookEvent(models.Model):
    """One change Meta told us about through a signed webhook, stored once, processed by a task.

    ``payload`` keeps the change with its secrets masked (safe for the admin); when the change
    carried secrets (the FBE install webhook carries the system user's token), the full change
    is kept encrypted in ``sealed_payload`` for the handler.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        PROCESSED = "processed", _("Processed")
        IGNORED = "ignored", _("Ignored")
        FAILED = "failed", _("Failed")

    object = models.CharField(_("object"), max_length=50)
    field = models.CharField(_("field"), max_length=100, blank=True)
    entry_id = models.CharField(_("entry id"), max_length=100, blank=True)
    entry_time = models.BigIntegerField(_("entry time"), null=True, blank=True, help_text=_("unix seconds, as sent"))
    payload = models.JSONField(_("payload"), default=dict, blank=True, help_text=_("secrets masked"))
    sealed_payload = EncryptedTextField(blank=True, default="", editable=False)
    dedupe_key = models.CharField(_("dedupe key"), max_length=64, unique=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    note = models.TextField(_("note"), blank=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")
        indexes = [models.Index(fields=["status", "received_at"], name="webhookevent_status_received")]

    def __str__(self) -> str:
        return f"{self.object}/{self.field or '—'} {self.entry_id}"

    @property
    def value(self):
        """The change's ``value`` as Meta sent it (secrets included), for handlers only."""
        full = json.loads(self.sealed_payload) if self.sealed_payload else self.payload
        return (full.get("change") or {}).get("value")

    @property
    def entry(self) -> dict:
        return self.payload.get("entry") or {}

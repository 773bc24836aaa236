"""The sandbox's own state: one generic table of Graph objects plus the machinery around them
(tokens, OAuth codes, faults, the request journal, idempotency records, the webhook outbox and
the switches). Every table is prefixed `sandbox_` by the app label.

Why one generic `Node` table: Graph objects are many small kinds whose fields are JSON anyway;
one table keyed by a global numeric id lets `/{id}` resolve any object in one query, and later
endpoint modules add kinds without migrations. See docs/sandbox.md.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

#: A Graph id is str(ID_BASE + pk): numeric strings of Meta's length, unique across every kind.
ID_BASE = 100_000_000_000_000


class NodeQuerySet(models.QuerySet):
    def live(self):
        return self.filter(deleted=False)

    def of_type(self, *types: str):
        return self.filter(type__in=types, deleted=False)


class Node(models.Model):
    """One Graph object: business, page, catalog, product, order... `data` holds its fields."""

    type = models.CharField(max_length=60)
    business_id = models.CharField(max_length=32, blank=True, help_text="Graph id of the owning business")
    parent_id = models.CharField(max_length=32, blank=True, help_text="Graph id of the node whose edge lists it")
    key = models.CharField(max_length=255, blank=True, help_text="Natural key in its kind (retailer id, external id)")
    data = models.JSONField(default=dict, blank=True)
    deleted = models.BooleanField(default=False)
    created = models.DateTimeField(default=timezone.now)
    updated = models.DateTimeField(auto_now=True)

    objects = NodeQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["type", "parent_id"], name="sandbox_node_parent"),
            models.Index(fields=["type", "key"], name="sandbox_node_key"),
            models.Index(fields=["type", "business_id"], name="sandbox_node_business"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.gid}"

    @property
    def gid(self) -> str:
        """The Graph id."""
        return str(ID_BASE + self.pk)

    @staticmethod
    def pk_from_gid(gid: str) -> int | None:
        if not gid.isdigit():
            return None
        pk = int(gid) - ID_BASE
        return pk if pk > 0 else None


class Token(models.Model):
    """An access token the sandbox issued. Only its SHA-256 is stored; `hint` is its tail."""

    class Kind(models.TextChoices):
        USER = "user"
        SYSTEM_USER = "system_user"
        PAGE = "page"

    token_hash = models.CharField(max_length=64, unique=True)
    hint = models.CharField(max_length=8)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    app_id = models.CharField(max_length=32)
    user_id = models.CharField(max_length=32, help_text="Graph id of the user or system user")
    business_id = models.CharField(max_length=32, blank=True)
    page_id = models.CharField(max_length=32, blank=True)
    install_id = models.CharField(max_length=32, blank=True, help_text="FBE install this token came from")
    scopes = models.JSONField(default=list)
    declined = models.JSONField(default=list)
    issued_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_subcode = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["business_id"], name="sandbox_token_business")]

    def __str__(self) -> str:
        return f"{self.kind} …{self.hint}"

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.expires_at and self.expires_at <= timezone.now():
            return "expired"
        return "valid"


class AuthCode(models.Model):
    """A single-use OAuth `code` from the dialog, exchanged at /oauth/access_token."""

    code_hash = models.CharField(max_length=64, unique=True)
    client_id = models.CharField(max_length=32)
    redirect_uri = models.TextField()
    user_id = models.CharField(max_length=32)
    business_id = models.CharField(max_length=32)
    install_id = models.CharField(max_length=32, blank=True)
    scopes = models.JSONField(default=list)
    declined = models.JSONField(default=list)
    created = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"code for business {self.business_id}"


class Fault(models.Model):
    """A fault armed on calls whose method and unversioned path (glob) match."""

    class Kind(models.TextChoices):
        ERROR = "error"
        THROTTLE = "throttle"
        LATENCY = "latency"
        HANG = "hang"
        DROP = "drop"
        MALFORMED = "malformed"
        TRUNCATED = "truncated"
        AFTER_APPLY = "after_apply"

    method = models.CharField(max_length=10, default="*")
    path = models.CharField(max_length=255)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    params = models.JSONField(default=dict, blank=True)
    remaining = models.PositiveIntegerField(null=True, blank=True, help_text="Calls left; empty = until cleared")
    probability = models.FloatField(null=True, blank=True)
    hits = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.kind} on {self.method} {self.path}"

    def as_dict(self) -> dict:
        return {"id": self.pk, "method": self.method, "path": self.path, "kind": self.kind,
                "count": self.remaining, "probability": self.probability, "hits": self.hits,
                "created": self.created.isoformat(), **self.params}


class RequestLog(models.Model):
    """The journal: one row per Graph call received (secrets masked). Usage headers and
    throttling count these rows, so they are the real call counts."""

    created = models.DateTimeField(default=timezone.now, db_index=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    version = models.CharField(max_length=10, blank=True)
    params = models.JSONField(default=dict, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    status = models.PositiveSmallIntegerField(null=True, blank=True)
    error_code = models.PositiveIntegerField(null=True, blank=True)
    error_subcode = models.PositiveIntegerField(null=True, blank=True)
    fault = models.CharField(max_length=20, blank=True)
    fault_id = models.PositiveIntegerField(null=True, blank=True)
    business_id = models.CharField(max_length=32, blank=True)
    buc_type = models.CharField(max_length=40, blank=True)
    token_kind = models.CharField(max_length=20, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    fbtrace_id = models.CharField(max_length=32, blank=True)

    class Meta:
        indexes = [models.Index(fields=["business_id", "buc_type", "created"], name="sandbox_log_buc")]

    def __str__(self) -> str:
        return f"{self.method} {self.version}/{self.path} -> {self.status}"

    def as_dict(self) -> dict:
        return {"id": self.pk, "method": self.method, "path": self.path, "version": self.version,
                "params": self.params, "headers": self.headers, "status": self.status,
                "error_code": self.error_code, "error_subcode": self.error_subcode, "fault": self.fault or None,
                "fault_id": self.fault_id, "business_id": self.business_id or None,
                "buc_type": self.buc_type or None, "duration_ms": self.duration_ms,
                "fbtrace_id": self.fbtrace_id, "created": self.created.isoformat()}


class IdempotencyRecord(models.Model):
    """A write keyed by the caller's idempotency key: replayed for the same request, refused
    for a different one."""

    scope = models.CharField(max_length=500)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField()
    body = models.JSONField()
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="sandbox_idempotency_unique")]

    def __str__(self) -> str:
        return f"{self.scope} {self.key}"


class WebhookEvent(models.Model):
    """Outbox of webhooks the sandbox sends as Meta. `body` is the exact signed payload."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"

    object = models.CharField(max_length=40)
    field = models.CharField(max_length=60, blank=True)
    body = models.TextField()
    callback_url = models.CharField(max_length=500, blank=True, help_text="Empty: the portal's /webhooks/meta/")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=500, blank=True)
    created = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "created"], name="sandbox_webhook_status")]

    def __str__(self) -> str:
        return f"{self.object}/{self.field} #{self.pk} ({self.status})"


class WebhookAttempt(models.Model):
    """One HTTP call to the callback: a verification handshake or a delivery."""

    class Kind(models.TextChoices):
        VERIFY = "verify"
        DELIVER = "deliver"

    event = models.ForeignKey(WebhookEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="attempt_set")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    url = models.CharField(max_length=500)
    ok = models.BooleanField(default=False)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.CharField(max_length=500, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    created = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.kind} {self.url} ({self.status_code or self.error})"

    def as_dict(self) -> dict:
        return {"id": self.pk, "event_id": self.event_id, "kind": self.kind, "url": self.url, "ok": self.ok,
                "status_code": self.status_code, "response_body": self.response_body, "error": self.error,
                "duration_ms": self.duration_ms, "created": self.created.isoformat()}


class Switch(models.Model):
    """The sandbox's switches (require appsecret_proof, usage budgets, dialog, webhooks), one
    JSON value per key; defaults live in meta_sandbox/config.py."""

    key = models.CharField(max_length=60, unique=True)
    value = models.JSONField()

    def __str__(self) -> str:
        return self.key

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from kernel.crypto import EncryptedTextField


def new_external_business_id() -> str:
    return f"shop-{uuid.uuid4().hex[:20]}"


class Shop(models.Model):
    """A seller's shop: the tenant. Every seller-visible object belongs to exactly one."""

    class Vertical(models.TextChoices):
        ECOMMERCE = "ECOMMERCE", _("E-commerce")

    name = models.CharField(_("display name"), max_length=100)
    storefront_url = models.URLField(_("storefront URL"), blank=True)
    country = models.CharField(_("country"), max_length=2, default="US", help_text=_("ISO 3166 code, e.g. US"))
    currency = models.CharField(_("currency"), max_length=3, default="USD", help_text=_("ISO 4217 code, e.g. USD"))
    timezone = models.CharField(_("timezone"), max_length=64, default="UTC")
    business_vertical = models.CharField(
        _("business vertical"), max_length=20, choices=Vertical.choices, default=Vertical.ECOMMERCE
    )
    # Our stable id for the shop at Meta (FBE `external_business_id`); never changes.
    external_business_id = models.CharField(max_length=64, unique=True, default=new_external_business_id, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the seller reaches the wizard's last step; the wizard resumes until then.
    onboarded_at = models.DateTimeField(null=True, blank=True)
    # --- website checkout (shops.checkout) ---
    #: Where Meta sends buyers to pay on the seller's website; Meta appends `products`, `coupon`,
    #: `cart_origin`, `fbclid` and campaign UTM parameters (shops/checkout/links.py).
    checkout_url = models.URLField(_("checkout link"), max_length=2000, blank=True)
    #: The last check of that link (shops.checkout.check): when, whether it worked (None: not
    #: checked, or nothing to check with), why not (a reason code), and one row per URL opened.
    checkout_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    checkout_ok = models.BooleanField(null=True, editable=False)
    checkout_reason = models.CharField(max_length=40, blank=True, editable=False)
    checkout_results = models.JSONField(default=list, blank=True, editable=False)
    checkout_check_requested_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return self.name


class Membership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", _("Owner")
        MANAGER = "manager", _("Manager")
        VIEWER = "viewer", _("Viewer")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "shop"], name="uniq_membership_user_shop")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.shop} ({self.role})"

    @property
    def can_write(self) -> bool:
        return self.role in (self.Role.OWNER, self.Role.MANAGER)

    @property
    def is_owner(self) -> bool:
        return self.role == self.Role.OWNER


class MetaConnectionQuerySet(models.QuerySet):
    """The one place that says which connections can be used (STYLE: one home per concept)."""

    def usable(self):
        """Connected with a token: syncs and polls may call Meta with it."""
        return self.filter(status=MetaConnection.Status.CONNECTED).exclude(access_token="")

    def checkable(self):
        """Holding a token that the health check should look at (connected, or waiting for a
        reconnect that a fresh token may already have fixed)."""
        return self.filter(
            status__in=[MetaConnection.Status.CONNECTED, MetaConnection.Status.NEEDS_RECONNECT]
        ).exclude(access_token="")


class MetaConnection(models.Model):
    """The shop's link to Meta: one stored (encrypted) access token and the FBE assets."""

    class Status(models.TextChoices):
        NOT_CONNECTED = "not_connected", _("Not connected")
        CONNECTED = "connected", _("Connected")
        NEEDS_RECONNECT = "needs_reconnect", _("Needs reconnect")
        DISCONNECTED = "disconnected", _("Disconnected")

    shop = models.OneToOneField(Shop, on_delete=models.CASCADE, related_name="meta_connection")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_CONNECTED)
    access_token = EncryptedTextField(blank=True, default="")
    token_type = models.CharField(max_length=20, blank=True)
    token_expires_at = models.DateTimeField(null=True, blank=True)
    scopes = models.JSONField(default=list, blank=True)
    business_manager_id = models.CharField(max_length=64, blank=True)
    catalog_id = models.CharField(max_length=64, blank=True)
    pixel_id = models.CharField(max_length=64, blank=True)
    page_id = models.CharField(max_length=64, blank=True)
    instagram_profile_id = models.CharField(max_length=64, blank=True)
    commerce_merchant_settings_id = models.CharField(max_length=64, blank=True)
    #: the FBE install's ad account (the number after act_; empty: none, Meta writes "0")
    ad_account_id = models.CharField(max_length=64, blank=True)
    installed_features = models.JSONField(default=list, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # Latest Graph usage figures (X-App-Usage, X-Business-Use-Case-Usage) for schedulers.
    usage = models.JSONField(default=dict, blank=True)
    usage_updated_at = models.DateTimeField(null=True, blank=True)
    # --- onboarding and health (issue 4) ---
    disconnected_at = models.DateTimeField(null=True, blank=True)
    # A seller pressed Disconnect: the task still has to tell Meta (DELETE fbe_installs), then
    # wipes the token. Kept True until Meta confirmed or the token turned out to be dead.
    uninstall_pending = models.BooleanField(default=False)
    # What the last verification read at Meta: merchant_status, cta, setup_status, channels.
    merchant_status = models.CharField(max_length=40, blank=True)
    cta = models.CharField(max_length=40, blank=True)
    # The last health check's results: [{"key", "ok", "detail", "params"}], shown on the
    # wizard's Verify step and the dashboard; issues are derived from the same check.
    checks = models.JSONField(default=list, blank=True)
    check_requested_at = models.DateTimeField(null=True, blank=True)

    objects = MetaConnectionQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["status"], name="shops_conn_status_idx")]

    def __str__(self) -> str:
        return f"Meta connection of {self.shop} ({self.status})"

    @property
    def has_token(self) -> bool:
        return bool(self.access_token)

    @property
    def payouts_ready(self) -> bool | None:
        """Whether Meta can pay the commerce account out (setup_status.payment_setup, which the
        health check keeps with its "setup" check), or None when unknown. Onsite checkout only:
        website checkout needs no payouts at Meta."""
        from shops.health.judging import SETUP_DONE

        for check in self.checks or []:
            value = (check.get("params") or {}).get("payment_setup") if check.get("key") == "setup" else None
            if value:
                return value in SETUP_DONE
        return None

    @property
    def is_connected(self) -> bool:
        """The row-level twin of `MetaConnection.objects.usable()`."""
        return self.status == self.Status.CONNECTED and self.has_token

    @property
    def is_checkable(self) -> bool:
        """The row-level twin of `MetaConnection.objects.checkable()`."""
        return self.has_token and self.status in (self.Status.CONNECTED, self.Status.NEEDS_RECONNECT)

    @property
    def failed_checks(self) -> list[dict]:
        return [c for c in self.checks or [] if not c.get("ok")]


class ConnectAttempt(models.Model):
    """One trip to Meta's FBE dialog: the OAuth `state` (stored hashed), bound to the user's
    session, the shop and the user; usable once, until `expires_at`. Also the audit trail of
    every connect and reconnect and why it failed."""

    class Purpose(models.TextChoices):
        CONNECT = "connect", _("Connect")
        RECONNECT = "reconnect", _("Reconnect")

    class Outcome(models.TextChoices):
        PENDING = "pending", _("Waiting for Meta")
        SUCCEEDED = "succeeded", _("Connected")
        CANCELLED = "cancelled", _("Cancelled at Meta")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="connect_attempts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=10, choices=Purpose.choices, default=Purpose.CONNECT)
    state_hash = models.CharField(max_length=64, unique=True)
    redirect_uri = models.URLField(max_length=500)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices, default=Outcome.PENDING)
    #: machine-readable reason of a failure (see shops.onboarding.FAILURES)
    error_code = models.CharField(max_length=40, blank=True)
    #: Meta's words or our technical detail, for staff (never a token)
    error_detail = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["shop", "-created_at"], name="shops_attempt_shop_idx")]

    def __str__(self) -> str:
        return f"{self.get_purpose_display()} {self.shop} ({self.outcome})"


class ShopIssue(models.Model):
    """A shop-level problem found by the health check. One open row per (shop, kind); it
    resolves itself when a later check passes and stays as history."""

    class Severity(models.TextChoices):
        CRITICAL = "critical", _("Critical")
        MUST_FIX = "must_fix", _("Must fix")
        WARNING = "warning", _("Warning")
        OPPORTUNITY = "opportunity", _("Opportunity")

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="issues")
    kind = models.CharField(max_length=60)
    severity = models.CharField(max_length=12, choices=Severity.choices)
    #: English wording as recorded (history, admin); pages translate from `kind` and `params`.
    title = models.CharField(max_length=200)
    explanation = models.TextField(blank=True)
    cta_label = models.CharField(max_length=100, blank=True)
    cta_url = models.URLField(max_length=500, blank=True)
    cta_external = models.BooleanField(default=False)
    #: values the wording uses (e.g. Meta's review messages, missing permissions)
    params = models.JSONField(default=dict, blank=True)
    first_seen = models.DateTimeField()
    last_seen = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "kind"], condition=models.Q(resolved_at__isnull=True), name="uniq_open_shop_issue"
            )
        ]
        indexes = [models.Index(fields=["shop", "resolved_at"], name="shops_issue_open_idx")]

    def __str__(self) -> str:
        state = "resolved" if self.resolved_at else "open"
        return f"{self.kind} @ {self.shop} ({state})"

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class AuditEvent(models.Model):
    """Who changed what in a shop: one row per change a seller, staff member or the system made
    through a service (`shops.audit.record`). Never holds a secret."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    #: who, as it read then ("alice", "staff:bob", "system", "Meta"): kept when the user is deleted
    actor_label = models.CharField(max_length=150)
    #: what happened, e.g. "product.update", "discount.end", "order.refund"
    action = models.CharField(max_length=60)
    #: the object, as "app_label.model" and its primary key
    target_type = models.CharField(max_length=60, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    summary = models.CharField(max_length=300, blank=True)
    #: {"field": [before, after]} for updates; the values given for creations and actions
    changes = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["shop", "-created_at"], name="shops_audit_shop_idx"),
            models.Index(fields=["target_type", "target_id"], name="shops_audit_target_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_label}: {self.action} {self.target_type}#{self.target_id}"


class ApiKey(models.Model):
    """A key the shop's storefront uses for the storefront API (events, website orders). Only a
    hash is stored: the key is shown once, when it is made (`shops.api_keys`)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("name"), max_length=60)
    #: the key's first characters, shown in lists so a seller can tell keys apart
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

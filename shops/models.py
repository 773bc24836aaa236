from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.crypto import EncryptedTextField


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
    installed_features = models.JSONField(default=list, blank=True)
    connected_at = models.DateTimeField(null=True, blank=True)
    last_ok_at = models.DateTimeField(null=True, blank=True)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # Latest Graph usage figures (X-App-Usage, X-Business-Use-Case-Usage) for schedulers.
    usage = models.JSONField(default=dict, blank=True)
    usage_updated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Meta connection of {self.shop} ({self.status})"

    @property
    def has_token(self) -> bool:
        return bool(self.access_token)

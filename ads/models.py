"""Server events for the Conversions API: one row per event, queued when the storefront (or an
order) reports it, sent to Meta in batches, with its delivery state for sellers and staff."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class ServerEvent(models.Model):
    """One event as Meta receives it at `POST /{pixel_id}/events` (`payload`: customer
    information already normalised and hashed, `ads.capi.userdata`). Unique per shop by event
    name and id (`ads.capi.event_ids`), so a second report of the same event (a repeated order,
    an update of it) queues nothing; the id is also what Meta deduplicates a resend on, so a
    batch sent again after a crash counts once at Meta."""

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting to be sent")
        SENT = "sent", _("Sent to Meta")
        REJECTED = "rejected", _("Refused by Meta")
        EXPIRED = "expired", _("Too old to send")

    shop = models.ForeignKey("shops.Shop", on_delete=models.CASCADE, related_name="server_events")
    event_name = models.CharField(max_length=40)
    event_id = models.CharField(max_length=100)
    event_time = models.DateTimeField()
    action_source = models.CharField(max_length=20, default="website")
    payload = models.JSONField()
    #: customer-information values left out, {key: why} (shown in match quality)
    dropped_keys = models.JSONField(default=dict, blank=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    #: Meta's message for a refused event, or why it was not sent
    message = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    #: the send that took the event (written before the call; a crash leaves it for the next send)
    batch_key = models.CharField(max_length=40, blank=True)
    test_event_code = models.CharField(max_length=40, blank=True)
    #: match quality: which customer-information keys the event carries (`ads.quality`)
    has_em = models.BooleanField(default=False)
    has_ph = models.BooleanField(default=False)
    has_external_id = models.BooleanField(default=False)
    has_fbp = models.BooleanField(default=False)
    has_fbc = models.BooleanField(default=False)
    has_ip = models.BooleanField(default=False)
    has_user_agent = models.BooleanField(default=False)
    #: every content id is one of the catalog's retailer ids (None: the event names no product)
    catalog_match = models.BooleanField(null=True, blank=True)
    queued_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["shop", "event_name", "event_id"], name="ads_event_once")]
        indexes = [models.Index(fields=["shop", "state", "id"], name="ads_event_queue")]

    def __str__(self) -> str:
        return f"{self.event_name} {self.event_id}"


class AdsSettings(models.Model):
    """Per shop: how its server events go to Meta. Made with the shop (`ads.apps`)."""

    shop = models.OneToOneField("shops.Shop", on_delete=models.CASCADE, related_name="ads_settings")
    #: from Events Manager → Test events; while set, events go there instead of counting
    test_event_code = models.CharField(_("test event code"), max_length=40, blank=True,
                                       help_text=_("From Events Manager → Test events. Leave empty to send live events."))
    #: Meta's Limited Data Use (`data_processing_options: ["LDU"]`, location chosen by Meta)
    limited_data_use = models.BooleanField(
        _("Limited Data Use"), default=False,
        help_text=_("Ask Meta to process events under Limited Data Use (for buyers in US states with such laws)."))
    #: the pixel as last read from Meta (`ads.pixel.check_pixel`): connected to the shop's
    #: catalog (None: not read yet), and when it last received a live event
    pixel_linked = models.BooleanField(null=True, blank=True)
    pixel_last_fired_at = models.DateTimeField(null=True, blank=True)
    pixel_checked_at = models.DateTimeField(null=True, blank=True)
    pixel_check_error = models.TextField(blank=True)
    #: Meta's own counts over the last 24 hours (`GET /{pixel_id}/stats`): {"browser", "server",
    #: "deduplicated"}, read with the pixel check
    meta_counts = models.JSONField(default=dict, blank=True)
    #: Meta's figures read by the daily task (`ads.figures`): {"insights", "quality", "catalog",
    #: "days"}, each with its state and the time it was read; money as integer minor units
    meta_figures = models.JSONField(default=dict, blank=True)
    figures_read_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "ads settings"

    def __str__(self) -> str:
        return f"ads settings of {self.shop_id}"

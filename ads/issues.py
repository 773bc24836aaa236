"""The ads app's issue cards (kernel.issues): no pixel, a pixel not connected to the catalog,
a pixel that received no event in 24 hours, server events Meta refused, our own match-quality
shares, and from Meta's figures (`ads.figures`): a permission they need, a low Event Match
Quality, a low share of events matching the catalog. Read from what the pixel check, the
figures task and the sender stored: no call to Meta."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ads.models import AdsSettings, ServerEvent
from kernel.issues import IssueCard

QUIET_AFTER = timedelta(hours=24)


def ads_issue_cards(shop) -> list[IssueCard]:
    conn = getattr(shop, "meta_connection", None)  # read with the shop on seller pages (shops.tenancy)
    if conn is None or not conn.is_connected:
        return []
    page = reverse("ads:index", args=[shop.pk])
    if not conn.pixel_id:
        return [IssueCard(
            kind="ads.no_pixel", severity="must_fix", group="ads", title=_("The shop has no Meta Pixel"),
            explanation=_("Without a pixel, Meta's ads cannot learn from what buyers do on your website, and the "
                          "Conversions API has nowhere to send events. Reconnect and choose a pixel in the "
                          "Facebook dialog."),
            cta_label=_("Reconnect to Meta"), cta_url=reverse("shops:connect", args=[shop.pk]))]
    prefs = AdsSettings.objects.filter(shop=shop).first()
    cards: list[IssueCard] = []
    if prefs is not None and prefs.pixel_linked is False:
        cards.append(IssueCard(
            kind="ads.pixel_not_linked", severity="must_fix", group="ads",
            title=_("The pixel is not connected to your catalog"),
            explanation=_("Meta matches the products in pixel and server events to your catalog only when the "
                          "pixel is connected to it; ads showing your products need that match."),
            cta_label=_("Connect the pixel"), cta_url=reverse("ads:link_pixel", args=[shop.pk]), cta_method="post",
            checked_at=prefs.pixel_checked_at))
    if prefs is not None and prefs.pixel_checked_at and (
            prefs.pixel_last_fired_at is None or prefs.pixel_last_fired_at < timezone.now() - QUIET_AFTER):
        cards.append(IssueCard(
            kind="ads.pixel_quiet", severity="warning", group="ads",
            title=_("The pixel received no event in 24 hours"),
            explanation=_("Either the storefront snippet is not installed, or nobody visited. Install the "
                          "snippet on every page of your website."),
            cta_label=_("Get the snippet"), cta_url=page + "#snippet-title", checked_at=prefs.pixel_checked_at))
    refused = ServerEvent.objects.filter(shop=shop, state=ServerEvent.State.REJECTED,
                                         queued_at__gte=timezone.now() - timedelta(days=7)).count()
    if refused:
        cards.append(IssueCard(
            kind="ads.events_refused", severity="warning", group="ads", count=refused,
            title=ngettext("Meta refused %(n)d server event this week", "Meta refused %(n)d server events this week",
                           refused) % {"n": refused},
            explanation=_("Refused events do not count for your ads. The Ads page shows Meta's reason for each."),
            cta_label=_("See the reasons"), cta_url=page))
    cards.extend(_quality_cards(shop, page))
    if prefs is not None:
        cards.extend(_meta_cards(shop, prefs, page))
    return cards


def _meta_cards(shop, prefs, page: str) -> list[IssueCard]:
    from ads import figures, quality

    cards = []
    stored = prefs.meta_figures or {}
    missing = sorted({part.get("missing") or "ads_read" for part in stored.values()
                      if isinstance(part, dict) and part.get("state") == "permission"})
    if missing:
        cards.append(IssueCard(
            kind="ads.figures_permission", severity="must_fix", group="ads",
            title=_("Meta's ads figures need a permission the connection lacks"),
            explanation=_("Meta refused to share them without %(missing)s. Reconnect and allow every permission "
                          "Meta asks for.") % {"missing": ", ".join(missing)},
            cta_label=_("Reconnect to Meta"), cta_url=reverse("shops:connect", args=[shop.pk]),
            checked_at=prefs.figures_read_at))
    meta = figures.meta_quality(prefs)
    for name, row in sorted(meta["events"].items()):
        emq = row.get("emq")
        if emq is not None and emq < quality.MIN_META_EMQ:
            cards.append(IssueCard(
                kind=f"ads.meta_emq_low.{name}", severity="warning", group="ads",
                title=_("Meta rates the match quality of %(event)s events %(score)s out of 10") % {
                    "event": name, "score": emq},
                explanation=_("Meta could not tie most of these events to the people who saw your ads. Send more "
                              "customer information with each server event: the buyer's e-mail or phone, and the "
                              "browser's fbp and fbc cookies."),
                cta_label=_("See match quality"), cta_url=page + "#quality-title", checked_at=prefs.figures_read_at))
        share = row.get("catalog_share")
        if share is not None and row.get("catalog_total", 0) >= quality.MIN_EVENTS and share < quality.MIN_CATALOG_MATCH:
            cards.append(IssueCard(
                kind=f"ads.meta_catalog_match_low.{name}", severity="warning", group="ads",
                title=_("Meta matched only %(share)s%% of the products in %(event)s events to your catalog") % {
                    "share": int(share * 100), "event": name},
                explanation=_("Use your catalog's retailer ids as content_ids in pixel and server events; Meta "
                              "cannot show other products in ads."),
                cta_label=_("See match quality"), cta_url=page + "#quality-title", checked_at=prefs.figures_read_at))
    return cards


def _quality_cards(shop, page: str) -> list[IssueCard]:
    from ads import quality

    cards = []
    for row in quality.figures(shop):
        if row["count"] < quality.MIN_EVENTS:
            continue
        if row["event_name"] == "Purchase" and row["email_share"] < quality.MIN_EMAIL_SHARE_PURCHASE:
            cards.append(IssueCard(
                kind="ads.purchase_match_low", severity="warning", group="ads",
                title=_("Most Purchase events carry no e-mail address"),
                explanation=_("Meta matches a purchase to the person who saw your ad mostly by e-mail or phone. "
                              "Send the buyer's e-mail with each website order (it is hashed before it leaves "
                              "the portal)."),
                cta_label=_("See match quality"), cta_url=page + "#quality-title"))
        match = row["catalog_match"]
        if match is not None and match < quality.MIN_CATALOG_MATCH:
            cards.append(IssueCard(
                kind=f"ads.catalog_match_low.{row['event_name']}", severity="warning", group="ads",
                title=_("%(event)s events name products your catalog does not have") % {"event": row["event_name"]},
                explanation=_("Use your catalog's retailer ids as content_ids; Meta cannot tie other ids to your "
                              "products or show them in ads."),
                cta_label=_("See match quality"), cta_url=page + "#quality-title"))
    return cards

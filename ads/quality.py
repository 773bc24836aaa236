"""Match quality a seller can act on, from the server events themselves: per event name, the
share of events carrying each customer-information key Meta matches on, and the share whose
`content_ids` are the catalog's retailer ids (Meta can only tie those events to products).
The flags are set when an event is queued (`flags`), so the figures are one aggregate query."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ads.models import ServerEvent

#: (flag field, the user_data key, how the page names it)
KEYS = [("has_em", "em", _("e-mail")), ("has_ph", "ph", _("phone")), ("has_external_id", "external_id", _("external id")),
        ("has_fbp", "fbp", _("browser id (fbp)")), ("has_fbc", "fbc", _("click id (fbc)")),
        ("has_ip", "client_ip_address", _("IP address")), ("has_user_agent", "client_user_agent", _("user agent"))]
#: below these shares a shop issue says what to fix
MIN_EMAIL_SHARE_PURCHASE = 0.5
MIN_CATALOG_MATCH = 0.9
MIN_EVENTS = 20
#: Meta's Event Match Quality (out of 10) below which a shop issue says what to fix ("good" in
#: Events Manager starts at 6)
MIN_META_EMQ = Decimal("6.0")


def _content_ids(custom: dict) -> list[str]:
    contents = custom.get("contents")
    ids = custom.get("content_ids") or [c.get("id") for c in (contents if isinstance(contents, list) else [])
                                        if isinstance(c, dict)]
    return [str(i) for i in ids if i not in (None, "")] if isinstance(ids, list) else []


def catalog_ids(shop, customs) -> set[str]:
    """The shop's live retailer ids among the content ids of these events (one query)."""
    from catalog.models import Product

    wanted = sorted({i for custom in customs for i in _content_ids(custom)})
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        found.update(Product.objects.filter(shop=shop, deleted_at__isnull=True, retailer_id__in=wanted[start:start + 500])
                     .values_list("retailer_id", flat=True))
    return found


def flags(user_data: dict, custom: dict, known_ids: set[str]) -> dict:
    """The quality flags of one event about to be queued (`known_ids`: from `catalog_ids`)."""
    out = {field: bool(user_data.get(key)) for field, key, _label in KEYS}
    ids = _content_ids(custom)
    if ids:
        out["catalog_match"] = all(i in known_ids for i in ids)
    return out


def figures(shop, *, days: int = 7) -> list[dict]:
    """Per event name: count, the share carrying each key, the catalog match share (or None)."""
    since = timezone.now() - timedelta(days=days)
    rows = (ServerEvent.objects.filter(shop=shop, queued_at__gte=since).values("event_name")
            .annotate(n=Count("pk"), **{f: Count("pk", filter=Q(**{f: True})) for f, _k, _l in KEYS},
                      named=Count("pk", filter=Q(catalog_match__isnull=False)),
                      matched=Count("pk", filter=Q(catalog_match=True)))
            .order_by("-n"))
    out = []
    for row in rows:
        n = row["n"]
        out.append({"event_name": row["event_name"], "count": n,
                    "shares": [(label, row[f] / n) for f, _k, label in KEYS],
                    "email_share": row["has_em"] / n,
                    "catalog_match": row["matched"] / row["named"] if row["named"] else None})
    return out


def per_day(shop, *, days: int = 7) -> list[dict]:
    """Server events per day (the shop's time zone is not applied: UTC days), sent and not."""
    from django.db.models.functions import TruncDate

    today = timezone.now().date()
    since = today - timedelta(days=days - 1)
    rows = {row["day"]: row for row in ServerEvent.objects.filter(shop=shop, queued_at__date__gte=since)
            .annotate(day=TruncDate("queued_at")).values("day")
            .annotate(n=Count("pk"), sent=Count("pk", filter=Q(state=ServerEvent.State.SENT)))}
    out = []
    for offset in range(days):
        day = since + timedelta(days=offset)
        row = rows.get(day, {"n": 0, "sent": 0})
        out.append({"day": day, "count": row["n"], "sent": row["sent"], "other": row["n"] - row["sent"]})
    top = max((d["count"] for d in out), default=0) or 1
    for i, d in enumerate(out):  # the server-rendered chart: bars 100 high at most, 100 apart
        d["sent_h"], d["other_h"] = round(100 * d["sent"] / top), round(100 * d["other"] / top)
        d["x"], d["label_x"] = i * 100 + 20, i * 100 + 50
        d["sent_y"], d["other_y"] = 100 - d["sent_h"], 100 - d["sent_h"] - d["other_h"]
    return out

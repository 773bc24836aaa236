"""Promotions' answer to the checkout link check (shops.hooks.register_checkout_coupons): the
shop's live coupon codes, the ones any cart can use first, for the check to send as Meta does
(`coupon=<code>`)."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from promotions.models import Discount


def checkout_coupons(shop) -> list[str]:
    now = timezone.now()
    rows = (Discount.objects.filter(shop=shop, application=Discount.Application.COUPON, ended_at__isnull=True,
                                    starts_at__lte=now)
            .exclude(coupon_code="").filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
            .values_list("coupon_code", "target", "min_subtotal_minor", "min_quantity"))
    # A code for all products with no minimum suits any cart the check builds.
    ranked = sorted(rows, key=lambda r: (r[1] != Discount.Target.ALL, r[2] is not None, r[3] is not None, r[0]))
    return [code for code, *_rest in ranked]

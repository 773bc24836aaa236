from __future__ import annotations

from django.conf import settings
from django.utils.functional import SimpleLazyObject

from kernel.issues import recent_issue_cards
from shops.tenancy import user_memberships


def portal(request):
    """Navigation context: the current shop (set by `shop_view`) and the user's other shops."""
    shop = getattr(request, "shop", None)
    membership = getattr(request, "membership", None)
    shops = []
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        shops = [m.shop for m in user_memberships(request)]
    return {
        # Lazy: computed only by pages that show it (the navigation badge).
        "shop_issue_count": SimpleLazyObject(lambda: sum(c.count for c in recent_issue_cards(shop, request)) if shop else 0),
        "current_shop": shop,
        "current_membership": membership,
        "can_write": bool(membership and membership.can_write),
        "user_shops": shops,
        "demo_mode": settings.DEMO_MODE,
        "sandbox_enabled": settings.GRAPH_SANDBOX_ENABLED,
    }

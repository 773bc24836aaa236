"""Commerce Manager deep links: the exact page at Meta where a seller fixes a problem.

META_API.md §4.2 confirms the home, support, promotions and order pages; the settings page
is Meta's usual path but not confirmed (marked I there). Keep every URL here so one place
changes when Meta moves a page.
"""

from __future__ import annotations

CM = "https://business.facebook.com/commerce"


def commerce_manager(cms_id: str) -> str:
    return f"{CM}/{cms_id}/"


def shop_settings(cms_id: str) -> str:
    return f"{CM}/{cms_id}/settings/"


def support(cms_id: str) -> str:
    """Where a seller requests a review of an integrity or policy decision (appeal)."""
    return f"{CM}/{cms_id}/support/"


def sales_channels(cms_id: str) -> str:
    return f"{CM}/{cms_id}/settings/sales_channels/"


def catalog_products(catalog_id: str) -> str:
    return f"{CM}/catalogs/{catalog_id}/products/"


# Finance pages (onsite-checkout era). Meta's help centre names them ("Payouts" under Finance,
# "Disputes" under the Orders tab: "About chargebacks in Commerce Manager"); the paths follow
# Commerce Manager's usual /commerce/<account>/<page>/ pattern and are not confirmed (I).


def payouts(cms_id: str) -> str:
    return f"{CM}/{cms_id}/payouts/"


def disputes(cms_id: str) -> str:
    return f"{CM}/{cms_id}/orders/disputes/"


def order(cms_id: str, meta_order_id: str) -> str:
    """One order in Commerce Manager (Meta's Magento plugin's Order tab, META_API §4.2: C)."""
    return f"https://www.facebook.com/commerce_manager/{cms_id}/orders/{meta_order_id}/"

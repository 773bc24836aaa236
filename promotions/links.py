"""Commerce Manager's discounts page (META_API §4.2, confirmed by Meta's Magento plugin).

Kept here until shops/links.py, the home of every Commerce Manager link, carries it too."""

from __future__ import annotations


def commerce_manager_discounts(cms_id: str) -> str:
    return f"https://www.facebook.com/commerce/{cms_id}/promotions/discounts/"

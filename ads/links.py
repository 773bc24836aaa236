"""Deep links into Meta's own tools for this shop's ads assets, built from stored ids (one small
module; a general deep-link module may replace it later).

URL patterns, as Meta's tools and plugins open them:
- Events Manager, a pixel (dataset) overview:
  https://business.facebook.com/events_manager2/list/pixel/{pixel_id}/overview (the page
  Meta's plugins open for the shop's pixel, e.g. facebook-for-woocommerce's "Events Manager" link);
- Ads Manager, an ad account's campaigns:
  https://adsmanager.facebook.com/adsmanager/manage/campaigns?act={ad_account_id} (the number
  after act_; Ads Manager's own URL for the account, used the same way by public integrations).
An id that is not a Graph id (digits) gives no link rather than a broken one.
"""

from __future__ import annotations

from urllib.parse import urlencode


def _graph_id(value) -> str:
    text = str(value or "").removeprefix("act_")
    return text if text.isdigit() else ""


def events_manager(pixel_id) -> str:
    pixel = _graph_id(pixel_id)
    return f"https://business.facebook.com/events_manager2/list/pixel/{pixel}/overview" if pixel else ""


def ads_manager(ad_account_id) -> str:
    account = _graph_id(ad_account_id)
    return f"https://adsmanager.facebook.com/adsmanager/manage/campaigns?{urlencode({'act': account})}" \
        if account else ""

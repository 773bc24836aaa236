"""The business's ad account as the seller sets it up in Ads Manager: open one (with its
currency), and the spend its running ads make per day (the sandbox's Insights figures use it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from . import ControlError, NotFound


def add_ad_account(business_id: str, *, currency: str = "USD", name: str = "", daily_spend: str = "0",
                   days_running: int = 30) -> dict:
    """An ad account of the business (the FBE install reports the first one) spending
    `daily_spend` (a decimal string in `currency`) every day for the last `days_running` days."""
    from .. import money
    from ..models import Node
    from ..services.businesses import new_node

    business = next((n for n in Node.objects.filter(type="business", deleted=False) if n.gid == str(business_id)), None)
    if business is None:
        raise NotFound(f"no business {business_id}")
    try:
        code = money.currency_code(currency)
        daily = money.to_minor(str(daily_spend), code)
    except (TypeError, ValueError) as exc:
        raise ControlError(str(exc)) from None
    created = (datetime.now(UTC).date() - timedelta(days=max(int(days_running), 0))).isoformat()
    node = new_node("ad_account", business_id=business.gid, parent_id=business.gid,
                    name=name or f"{business.data.get('name', 'Sandbox')} ads", currency=code, timezone_name="UTC",
                    account_status=1, daily_spend_minor=daily, created_date=created)
    return {"ad_account_id": node.gid, "currency": code}


def set_ad_spend(ad_account_id: str, daily_spend: str) -> dict:
    from .. import money
    from ..models import Node

    node = next((n for n in Node.objects.filter(type="ad_account", deleted=False) if n.gid == str(ad_account_id)), None)
    if node is None:
        raise NotFound(f"no ad account {ad_account_id}")
    try:
        node.data["daily_spend_minor"] = money.to_minor(str(daily_spend), node.data.get("currency", "USD"))
    except (TypeError, ValueError) as exc:
        raise ControlError(str(exc)) from None
    node.save(update_fields=["data", "updated"])
    return {"ad_account_id": node.gid, "daily_spend_minor": node.data["daily_spend_minor"]}

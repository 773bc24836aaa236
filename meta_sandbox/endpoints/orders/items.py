"""Addressing an order's lines in requests (item_id or retailer_id) and the shared parameter checks."""

from __future__ import annotations

from collections.abc import Iterable

from ... import errors, money
from ...models import Node
from .figures import is_bxgy

# --- item addressing --------------------------------------------------------------------------------


def resolve_items(order: Node, entries: Iterable[dict], *, quantity_key: str = "quantity",
                  allow_amount: bool = False) -> list[tuple[dict, dict]]:
    """[(line, entry)] for request items addressed by item_id or retailer_id (exactly one).
    retailer_id is refused on buy-X-get-Y orders, where it names two lines."""
    lines = order.data["items"]
    by_id = {item["id"]: item for item in lines}
    bxgy = is_bxgy(order)
    out = []
    for n, entry in enumerate(entries):
        item_id, retailer_id = entry.get("item_id"), entry.get("retailer_id")
        if bool(item_id) == bool(retailer_id):
            raise errors.invalid_param(f"items[{n}]: give exactly one of item_id and retailer_id",
                                       error_data={"blame_field_specs": [["items", n]]})
        if retailer_id:
            if bxgy:
                raise errors.invalid_param(
                    f"items[{n}]: this order has the same product on several lines (a buy X get Y offer); "
                    "address its items by item_id, not retailer_id",
                    error_data={"blame_field_specs": [["items", n, "retailer_id"]]})
            line = next((item for item in lines if item["retailer_id"] == str(retailer_id)), None)
        else:
            line = by_id.get(str(item_id))
        if line is None:
            raise errors.invalid_param(f"items[{n}]: no such item in this order ({item_id or retailer_id})",
                                       error_data={"blame_field_specs": [["items", n]]})
        out.append((line, entry))
    return out


def _quantity(entry: dict, key: str, n: int) -> int:
    value = entry.get(key)
    if isinstance(value, bool):
        value = None
    try:
        quantity = int(str(value))
    except (TypeError, ValueError):
        raise errors.invalid_param(f"items[{n}].{key} must be a positive integer",
                                   error_data={"blame_field_specs": [["items", n, key]]})
    if quantity < 1:
        raise errors.invalid_param(f"items[{n}].{key} must be a positive integer",
                                   error_data={"blame_field_specs": [["items", n, key]]})
    return quantity


def _money_param(value, currency: str, what: str) -> int:
    try:
        minor, given = money.parse_amount(value)
    except (TypeError, ValueError):
        raise errors.invalid_param(f"{what} must be a currency amount like {{\"amount\": \"2.50\", "
                                   f"\"currency\": \"{currency}\"}}")
    if given != currency:
        raise errors.invalid_param(f"{what} is in {given} but the order is in {currency}")
    if minor < 0:
        raise errors.invalid_param(f"{what} must not be negative")
    return minor


def _require_acknowledged(order: Node, action: str) -> None:
    if order.data["state"] in ("FB_PROCESSING", "CREATED"):
        raise errors.invalid_param(f"The order must be acknowledged (IN_PROGRESS) before it can be {action}; "
                                   f"it is {order.data['state']}")

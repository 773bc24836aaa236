"""Product items: the ProductItem node, the products edge with Meta's filter grammar, deleting an item."""

from __future__ import annotations

import json

from django.db.models import Q, QuerySet

from ... import errors
from ...models import Node
from ...params import P
from ...router import Computed, Ref, Reply, Value, edge, node_type, route
from .validation import CATALOG_PERMS, FILTER_OPS, _currency, _price_text

# --- product items ----------------------------------------------------------------------------


_PRODUCT_VALUES = ("description", "availability", "condition", "brand", "visibility", "color", "size", "gender",
                   "age_group", "gtin", "mpn", "material", "pattern", "product_type", "google_product_category",
                   "fb_product_category", "rich_text_description", "custom_label_0", "custom_label_1",
                   "custom_label_2", "custom_label_3", "custom_label_4", "shipping_weight", "checkout_url")

node_type("product", label="ProductItem", perms=CATALOG_PERMS, buc="catalog_management",
          default_fields=("id", "retailer_id", "name"), fields={
              "retailer_id": Computed(lambda ctx, n: n.key),
              "name": Value(key="title"),
              **{name: Value() for name in _PRODUCT_VALUES},
              "price": Computed(lambda ctx, n: _price_text(n.data, "price")),
              "sale_price": Computed(lambda ctx, n: _price_text(n.data, "sale_price")),
              "currency": Computed(lambda ctx, n: _currency(n.data)),
              "url": Value(key="link"),
              "image_url": Value(key="image_link"),
              "additional_image_urls": Value(key="additional_image_link"),
              "quantity_to_sell_on_facebook": Value(),
              "inventory": Value(key="quantity_to_sell_on_facebook"),
              "retailer_product_group_id": Value(key="item_group_id"),
              "internal_labels": Value(key="internal_label"),
              "errors": Value(default=[]),
              "review_status": Value(default="approved"),
              "review_rejection_reasons": Value(default=[]),
              "image_fetch_status": Computed(lambda ctx, n: "FETCHED"),
              "product_catalog": Ref(key="_catalog"),
          })


# --- products edge ------------------------------------------------------------------------------


def _leaf_q(field: str, op: str, value) -> Q | None:
    """An ORM condition for one filter leaf, or None when it must be evaluated in Python."""
    if field == "retailer_id":
        column = "key"
    elif field == "product_item_id":
        if op == "eq":
            return Q(pk=Node.pk_from_gid(str(value)) or 0)
        if op == "is_any" and isinstance(value, list):
            return Q(pk__in=[Node.pk_from_gid(str(v)) or 0 for v in value])
        return None
    elif field == "price":
        column = "data__price_minor"
    elif field in ("availability", "brand", "condition", "product_type", "item_group_id", "review_status",
                   "visibility", "color", "size", "gender", "age_group"):
        column = f"data__{field}"
    else:
        return None
    if op == "eq":
        return Q(**{column: value})
    if op == "neq":
        return ~Q(**{column: value})
    if op == "is_any" and isinstance(value, list):
        return Q(**{f"{column}__in": value})
    if op == "is_not_any" and isinstance(value, list):
        return ~Q(**{f"{column}__in": value})
    if op in ("lt", "lte", "gt", "gte"):
        return Q(**{f"{column}__{op}": value})
    if op == "i_contains":
        return Q(**{f"{column}__icontains": value})
    if op == "contains":
        return Q(**{f"{column}__contains": value})
    if op == "starts_with":
        return Q(**{f"{column}__startswith": value})
    return None


def check_filter(rule) -> None:
    """Refuse a malformed filter like Meta (2500)."""
    if not isinstance(rule, dict) or len(rule) != 1:
        raise errors.syntax_error(f"in filter: expected one key per object, got {json.dumps(rule)[:200]}")
    (key, value), = rule.items()
    if key in ("and", "or"):
        if not isinstance(value, list):
            raise errors.syntax_error(f"in filter: '{key}' takes a list")
        for part in value:
            check_filter(part)
        return
    if not isinstance(value, dict) or len(value) != 1 or next(iter(value)) not in FILTER_OPS:
        raise errors.syntax_error(f"in filter: unknown operator for {key}: {json.dumps(value)[:200]}")


def filter_q(rule) -> Q | None:
    (key, value), = rule.items()
    if key in ("and", "or"):
        parts = [filter_q(p) for p in value]
        if any(p is None for p in parts):
            return None
        combined = Q()
        for part in parts:
            combined = (combined & part) if key == "and" else (combined | part)
        return combined
    (op, operand), = value.items()
    return _leaf_q(key, op, operand)


def _values(node: Node, field: str) -> list:
    data = node.data
    if field == "retailer_id":
        return [node.key]
    if field == "product_item_id":
        return [node.gid]
    if field == "price":
        return [data.get("price_minor")]
    if field in ("internal_label", "internal_labels"):
        return list(data.get("internal_label") or [])
    value = data.get(field)
    return list(value) if isinstance(value, list) else [value]


def matches(rule, node: Node) -> bool:
    (key, value), = rule.items()
    if key == "and":
        return all(matches(p, node) for p in value)
    if key == "or":
        return any(matches(p, node) for p in value)
    (op, operand), = value.items()
    values = _values(node, key)

    def one(v) -> bool:
        text = "" if v is None else str(v)
        if op == "eq":
            return v == operand or text == str(operand)
        if op == "is_any":
            return v in operand or text in [str(o) for o in operand]
        if op in ("i_contains", "contains"):
            return (str(operand).lower() in text.lower()) if op == "i_contains" else str(operand) in text
        if op == "starts_with":
            return text.startswith(str(operand))
        if op in ("lt", "lte", "gt", "gte"):
            if v is None:
                return False
            return {"lt": v < operand, "lte": v <= operand, "gt": v > operand, "gte": v >= operand}[op]
        return False

    if op in ("neq", "is_not_any", "i_not_contains", "not_contains"):
        positive = {"neq": "eq", "is_not_any": "is_any", "i_not_contains": "i_contains",
                    "not_contains": "contains"}[op]
        return not matches({key: {positive: operand}}, node)
    return any(one(v) for v in values)


def products_of(catalog_gid: str):
    return Node.objects.filter(type="product", parent_id=catalog_gid, deleted=False)


def filtered_products(catalog_gid: str, rule):
    qs = products_of(catalog_gid)
    if rule is None:
        return qs
    check_filter(rule)
    q = filter_q(rule)
    if q is not None:
        return qs.filter(q)
    return [node for node in qs.order_by("pk").iterator(chunk_size=2000) if matches(rule, node)]


PRODUCT_LIST_PARAMS = (P("filter", "map"), P("bulk_pagination", "bool"),
                       P("error_priority", "enum", enum=("HIGH", "MEDIUM", "LOW")), P("error_type"))


@edge("catalog", "products", summary=True, item_label="ProductItem", max_limit=1000, params=(
    *PRODUCT_LIST_PARAMS, P("return_only_approved_products", "bool"),
))
def catalog_products(ctx, node, args):
    return _lean(ctx, narrow_products(filtered_products(node.gid, args.get("filter")), args))


#: What a listing of item ids reads: the daily reconcile's `fields=retailer_id` (an id comes along).
_ID_FIELDS = frozenset({"id", "retailer_id"})


def _lean(ctx, listing):
    """A listing that asks only for ids loads no item data: the answer is the same, without
    decoding every item's fields (1,000 a page) to show its retailer id."""
    selection = ctx.selection
    if (isinstance(listing, QuerySet) and selection and ctx.path.endswith("/products")
            and all(sel.name in _ID_FIELDS and not sel.children for sel in selection)):
        return listing.only("id", "type", "key")
    return listing


def narrow_products(listing, args):
    """The error_priority / error_type / return_only_approved_products filters of a product list."""
    priority, error_type = args.get("error_priority"), args.get("error_type")
    approved_only = args.get("return_only_approved_products")
    if priority or error_type or approved_only:
        items = listing if isinstance(listing, list) else listing.order_by("pk").iterator(chunk_size=2000)
        listing = [n for n in items
                   if (not approved_only or n.data.get("review_status", "approved") == "approved")
                   and (not priority or any(e.get("error_priority") == priority for e in n.data.get("errors") or []))
                   and (not error_type or any(e.get("error_type") == error_type for e in n.data.get("errors") or []))]
    return listing


@route("DELETE", "{product:product}")
def delete_product(ctx):
    ctx.node.deleted = True
    ctx.node.save(update_fields=["deleted", "updated"])
    return Reply({"success": True})

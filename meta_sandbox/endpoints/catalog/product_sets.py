"""Product sets: the ProductSet node and its create, list, update and delete calls."""

from __future__ import annotations

import json

from ... import errors
from ...models import Node
from ...params import P
from ...router import Computed, Ref, Reply, Value, edge, node_type, route
from .products import PRODUCT_LIST_PARAMS, check_filter, filtered_products, narrow_products, products_of
from .validation import CATALOG_PERMS

# --- product sets -------------------------------------------------------------------------------


def _set_count(ctx, node: Node) -> int:
    rule = node.data.get("filter")
    if not rule:
        return products_of(node.parent_id).count()
    listing = filtered_products(node.parent_id, rule)
    return len(listing) if isinstance(listing, list) else listing.count()


node_type("product_set", label="ProductSet", perms=CATALOG_PERMS, buc="catalog_management",
          default_fields=("id", "name"), fields={
              "name": Value(),
              "filter": Computed(lambda ctx, n: json.dumps(n.data["filter"]) if n.data.get("filter") else None),
              "retailer_id": Computed(lambda ctx, n: n.key or None),
              "product_count": Computed(_set_count),
              "latest_metadata": Value(key="metadata"),
              "live_metadata": Value(key="metadata"),
              "ordering_info": Value(),
              "product_catalog": Ref(key="_catalog"),
          })

_SET_PARAMS = (P("name"), P("filter", "map"), P("retailer_id"), P("metadata", "map"), P("ordering_info", "json"),
               P("publish_to_shops", "json"))


def _set_values(ctx) -> dict:
    values = {k: v for k, v in ctx.args.items() if v is not None and k != "retailer_id"}
    if "filter" in values:
        check_filter(values["filter"])
    if "name" in values and not str(values["name"]).strip():
        raise errors.required_param("name")
    return values


@route("POST", "{catalog:catalog}/product_sets", params=_SET_PARAMS)
def create_product_set(ctx):
    if not ctx.args.get("name"):
        raise errors.required_param("name")
    values = _set_values(ctx)
    key = ctx.args.get("retailer_id") or ""
    if key and Node.objects.filter(type="product_set", parent_id=ctx.node.gid, key=key, deleted=False).exists():
        raise errors.invalid_param(f"A product set with retailer_id {key} already exists in this catalog",
                                   error_data={"blame_field_specs": [["retailer_id"]]})
    node = Node.objects.create(type="product_set", business_id=ctx.node.business_id, parent_id=ctx.node.gid,
                               key=key, data={**values, "_catalog": ctx.node.gid})
    return {"id": node.gid}


@edge("catalog", "product_sets", summary=True, item_label="ProductSet", params=(
    P("retailer_id"), P("parent_id"), P("ancestor_id"), P("has_children", "bool"),
))
def catalog_product_sets(ctx, node, args):
    qs = Node.objects.filter(type="product_set", parent_id=node.gid, deleted=False)
    if args.get("retailer_id"):
        qs = qs.filter(key=args["retailer_id"])
    return qs


@route("POST", "{product_set:product_set}", params=(*_SET_PARAMS, P("allow_live_product_set_deletion", "bool")))
def update_product_set(ctx):
    ctx.node.data.update(_set_values(ctx))
    ctx.node.data.pop("allow_live_product_set_deletion", None)
    ctx.node.save(update_fields=["data", "updated"])
    return Reply({"success": True})


@route("DELETE", "{product_set:product_set}", params=(P("allow_live_product_set_deletion", "bool"),))
def delete_product_set(ctx):
    ctx.node.deleted = True
    ctx.node.save(update_fields=["deleted", "updated"])
    return Reply({"success": True})


# Meta's ProductSet has a `products` edge (Marketing API reference "Product Set", /{product-set-id}/
# products; the official SDK's ProductSet.get_products: bulk_pagination, error_priority, error_type,
# filter): the set's products, narrowed by an optional filter of the call's own.
@edge("product_set", "products", summary=True, item_label="ProductItem", max_limit=1000, params=PRODUCT_LIST_PARAMS)
def product_set_products(ctx, node, args):
    rule = node.data.get("filter")
    extra = args.get("filter")
    if rule and extra:
        check_filter(extra)
        rule = {"and": [rule, extra]}
    return narrow_products(filtered_products(node.parent_id, rule or extra), args)

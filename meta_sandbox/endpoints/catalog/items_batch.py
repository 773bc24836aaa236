"""`POST {catalog}/items_batch` and `GET {catalog}/check_batch_request_status` (META_API §2.1).

As Meta's catalog batch guides say: records that fail validation are in `validation_status` at
submission, but a record that would create an item without a required field is accepted (a
handle) and reported by `check_batch_request_status` only ("You cannot create a ProductItem
without required field ..."). The status goes through Meta's values: scheduled, dispatched,
started while in progress (switch `catalog.batch_progress`), then finished, error (the errors so
far; the sandbox has stored the valid records) or canceled (switch `catalog.batch_outcome`).
"""

from __future__ import annotations

import secrets
import time

from django.db import connection
from django.utils import timezone

from ... import errors
from ...models import Node
from ...params import P
from ...router import route
from .validation import (
    ITEM_SUB_TYPES,
    ITEM_TYPES,
    KNOWN,
    MAX_BYTES,
    MAX_REQUESTS,
    METHODS,
    _error_entry,
    _price_minor,
    _reject_message,
    catalog_switch,
    matching_rules,
    missing_field_message,
    missing_required,
    validate_item,
)


@route("POST", "{catalog:catalog}/items_batch", buc="catalog_batch", params=(
    P("item_type", "enum", required=True, enum=ITEM_TYPES),
    P("requests", "json", required=True),
    P("allow_upsert", "bool", default=True),
    P("item_sub_type", "enum", enum=ITEM_SUB_TYPES),
    P("version", "int"),
))
def items_batch(ctx):
    catalog = ctx.node
    size = int(ctx.request.META.get("CONTENT_LENGTH") or 0)
    if size > MAX_BYTES:
        raise errors.invalid_param(f"The request is too large: {size} bytes, at most {MAX_BYTES} (28 MB)",
                                   error_data={"blame_field_specs": [["requests"]]})
    records = ctx.args["requests"]
    if not isinstance(records, list):
        raise errors.bad_type("requests", "a JSON array of objects")
    if len(records) > MAX_REQUESTS:
        raise errors.invalid_param(f"Too many requests in one batch: {len(records)}, at most {MAX_REQUESTS}",
                                   error_data={"blame_field_specs": [["requests"]]})
    if ctx.args["item_type"] != "PRODUCT_ITEM":
        raise errors.invalid_param(f"The sandbox supports item_type PRODUCT_ITEM only, not {ctx.args['item_type']}")
    upsert = ctx.args["allow_upsert"]
    switch = catalog_switch(ctx)
    rules = switch.get("rules") or []

    ids = [str(r["data"]["id"]) for r in records
           if isinstance(r, dict) and isinstance(r.get("data"), dict) and r["data"].get("id") not in (None, "")]
    existing = {key: (pk, data) for pk, key, data in Node.objects.filter(
        type="product", parent_id=catalog.gid, deleted=False, key__in=ids).values_list("pk", "key", "data")}
    status_errors, status_warnings, validation, invalid = [], [], [], []
    refused = 0
    creates: dict[str, dict] = {}
    updates: dict[int, dict] = {}
    deletes: set[int] = set()
    for line, record in enumerate(records):
        rid, errs, warns = "", [], []
        if not isinstance(record, dict) or not isinstance(record.get("data"), dict):
            errs.append("Each request needs a method and a data object.")
        else:
            method = str(record.get("method") or "").upper()
            data = record["data"]
            rid = "" if data.get("id") in (None, "") else str(data["id"])
            if method not in METHODS:
                errs.append(f'Invalid method "{record.get("method")}": use CREATE, UPDATE or DELETE.')
            elif not rid:
                errs.append("A required field is missing: id.")
            else:
                known = creates.get(rid) or (existing[rid][1] if rid in existing else None)
                if method == "UPDATE" and known is None and not upsert:
                    errs.append(f"The item {rid} does not exist and allow_upsert is false.")
                else:
                    creating = method != "DELETE" and (method == "CREATE" or known is None)
                    errs, warns = validate_item(method, data, creating=creating)
                    missing = missing_required(data) if creating and not errs else []
                    if missing:
                        # Accepted at submission (a handle, nothing in validation_status); the
                        # batch status names each missing field, like Meta's.
                        status_errors += [{"line": line, "id": rid, "message": missing_field_message(line, rid, m)}
                                          for m in missing]
                        status_warnings += [{"line": line, "id": rid, "message": m} for m in warns]
                        if warns:
                            validation.append({"retailer_id": rid, "errors": [],
                                               "warnings": [{"message": m} for m in warns]})
                        invalid.append(rid)
                        continue
                if not errs:
                    if method == "DELETE":
                        if rid in existing:
                            deletes.add(existing[rid][0])
                        creates.pop(rid, None)
                    else:
                        merged = {**(known or {}), **{k: v for k, v in data.items() if k in KNOWN and k != "id"}}
                        hits = matching_rules(rules, rid, merged)
                        rejected = [h for h in hits if h.get("mode", "reject") == "reject"]
                        if rejected:
                            status_errors += [{"line": line, "id": rid, "message": _reject_message(h)}
                                              for h in rejected]
                            invalid.append(rid)
                            continue
                        merged["errors"] = [_error_entry(h) for h in hits if h.get("mode") == "flag"]
                        policy = [h for h in hits if h.get("mode") == "policy"]
                        merged["review_status"] = "rejected" if policy else "approved"
                        merged["review_rejection_reasons"] = [h.get("error_type") or "SHOPS_POLICY_VIOLATION"
                                                              for h in policy]
                        merged["price_minor"] = _price_minor(merged.get("price"))
                        if rid in existing and existing[rid][0] not in deletes:
                            updates[existing[rid][0]] = merged
                        else:
                            creates[rid] = merged
        if errs or warns:
            validation.append({"retailer_id": rid, "errors": [{"message": m} for m in errs],
                               "warnings": [{"message": m} for m in warns]})
        status_errors += [{"line": line, "id": rid, "message": m} for m in errs]
        status_warnings += [{"line": line, "id": rid, "message": m} for m in warns]
        if errs:
            invalid.append(rid)
            refused += 1

    now = timezone.now()
    if deletes:
        Node.objects.filter(pk__in=deletes).update(deleted=True, updated=now)
    if updates:
        _bulk_update_data(updates, now)
    if creates:
        Node.objects.bulk_create([
            Node(type="product", business_id=catalog.business_id, parent_id=catalog.gid, key=rid,
                 data={**data, "_catalog": catalog.gid}, created=now, updated=now)
            for rid, data in creates.items()], batch_size=500)
    if records and refused == len(records):  # nothing ingested: no handle, as Meta
        return {"handles": [], "validation_status": validation}
    handle = secrets.token_urlsafe(18)
    delay = float(switch.get("batch_delay_seconds") or 0)
    Node.objects.create(type="catalog_batch", business_id=catalog.business_id, parent_id=catalog.gid, key=handle,
                        data={"submitted_at": time.time(), "finish_at": time.time() + delay,
                              "progress": switch.get("batch_progress") or ["started"],
                              "outcome": switch.get("batch_outcome") or "finished",
                              "errors": status_errors, "warnings": status_warnings,
                              "invalid": sorted(set(invalid)), "requests": len(records)})
    return {"handles": [handle], "validation_status": validation}


def _bulk_update_data(updates: dict[int, dict], now) -> None:
    """One statement for all updated nodes (executemany), instead of a save() per row."""
    field = Node._meta.get_field("data")
    table = Node._meta.db_table
    rows = [(field.get_db_prep_save(data, connection), now, pk) for pk, data in updates.items()]
    with connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {table} SET data = %s, updated = %s WHERE id = %s", rows)


@route("GET", "{catalog:catalog}/check_batch_request_status", buc="catalog_management", paging=True, params=(
    P("handle", required=True),
    P("load_ids_of_invalid_requests", "bool", default=False),
    P("error_priority", "enum", enum=("HIGH", "MEDIUM", "LOW")),
))
def check_batch_request_status(ctx):
    batch = Node.objects.filter(type="catalog_batch", parent_id=ctx.node.gid, key=ctx.args["handle"]).first()
    if batch is None:
        raise errors.invalid_param(f"Invalid handle: {ctx.args['handle']}",
                                   error_data={"blame_field_specs": [["handle"]]})
    data = batch.data
    now = time.time()
    finish_at = float(data.get("finish_at") or 0)
    if now < finish_at:
        # In progress: the configured statuses share the delay (scheduled → dispatched → started).
        progress = data.get("progress") or ["started"]
        started_at = float(data.get("submitted_at") or finish_at)
        span = max(finish_at - started_at, 1e-9)
        step = min(len(progress) - 1, int((now - started_at) / span * len(progress)))
        return {"data": [{"handle": batch.key, "status": progress[max(step, 0)], "errors_total_count": 0,
                          "warnings_total_count": 0, "errors": [], "warnings": [], "ids_of_invalid_requests": []}]}
    outcome = data.get("outcome") or "finished"
    if outcome == "canceled":
        return {"data": [{"handle": batch.key, "status": "canceled", "errors_total_count": 0,
                          "warnings_total_count": 0, "errors": [], "warnings": [], "ids_of_invalid_requests": []}]}
    return {"data": [{
        "handle": batch.key, "status": outcome,
        "errors_total_count": len(data["errors"]), "warnings_total_count": len(data["warnings"]),
        "errors": data["errors"], "warnings": data["warnings"],
        "ids_of_invalid_requests": data["invalid"] if ctx.args["load_ids_of_invalid_requests"] else [],
    }]}

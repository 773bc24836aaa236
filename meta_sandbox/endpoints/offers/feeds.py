"""Feeds and their uploads: the ProductFeed and ProductFeedUpload nodes and their calls."""

from __future__ import annotations

import re

from django.utils import timezone

from ... import errors, money
from ...models import Node
from ...params import P
from ...router import Computed, Ref, Reply, Value, edge, node_type, route
from .common import CATALOG_PERMS, FEED, FEED_TYPES, MAX_BYTES, UPLOAD, iso, offers_of, switch
from .processing import process

# --- feeds -------------------------------------------------------------------------------------------

node_type(FEED, label="ProductFeed", perms=CATALOG_PERMS, buc="catalog_management",
          default_fields=("id", "name"), fields={
              "name": Value(),
              "feed_type": Value(),
              "country": Value(),
              "default_currency": Value(),
              "deletion_enabled": Value(),
              "delimiter": Value(),
              "encoding": Value(),
              "file_name": Value(),
              "schedule": Value(),
              "update_schedule": Value(),
              "created_time": Value(),
              "latest_upload": Ref(default_fields=("id", "end_time")),
              "product_count": Computed(lambda ctx, n: offers_of(n.parent_id).count() if n.data.get("feed_type") == "OFFER"
                                        else 0),
          })

FEED_PARAMS = (P("name"), P("schedule", "map"), P("update_schedule", "map"), P("country"), P("default_currency"),
               P("deletion_enabled", "bool"), P("delimiter"), P("encoding"), P("file_name"),
               P("quoted_fields_mode"), P("override_type"), P("ingestion_source_type"), P("item_sub_type"),
               P("primary_feeds", "list"), P("rules", "list"), P("migrated_from_feed_id"),
               P("selected_override_fields", "list"), P("fbe_external_business_id"))


def _feed_values(ctx) -> dict:
    values = {k: v for k, v in ctx.args.items() if v is not None and k != "feed_type"}
    if "default_currency" in values:
        if not money.is_currency(values["default_currency"]):
            raise errors.invalid_param(f"default_currency {values['default_currency']!r} is not a currency",
                                       error_data={"blame_field_specs": [["default_currency"]]})
        values["default_currency"] = values["default_currency"].upper()
    if "name" in values and not str(values["name"]).strip():
        raise errors.required_param("name")
    return values


@route("POST", "{catalog:catalog}/product_feeds", params=(*FEED_PARAMS, P("feed_type", "enum", enum=FEED_TYPES)))
def create_feed(ctx):
    if not ctx.args.get("name"):
        raise errors.required_param("name")
    data = {**_feed_values(ctx), "feed_type": ctx.args.get("feed_type") or "PRODUCTS",
            "created_time": iso(timezone.now())}
    node = Node.objects.create(type=FEED, business_id=ctx.node.business_id, parent_id=ctx.node.gid, data=data)
    return {"id": node.gid}


@edge("catalog", "product_feeds", summary=True, item_label="ProductFeed")
def catalog_feeds(ctx, node, args):
    return Node.objects.of_type(FEED).filter(parent_id=node.gid)


@route("POST", f"{{feed:{FEED}}}", params=FEED_PARAMS)
def update_feed(ctx):
    ctx.node.data.update(_feed_values(ctx))
    ctx.node.save(update_fields=["data", "updated"])
    return Reply({"success": True})


@route("DELETE", f"{{feed:{FEED}}}")
def delete_feed(ctx):
    ctx.node.deleted = True
    ctx.node.save(update_fields=["deleted", "updated"])
    return Reply({"success": True})


# --- uploads ----------------------------------------------------------------------------------------

node_type(UPLOAD, label="ProductFeedUpload", perms=CATALOG_PERMS, buc="catalog_management",
          default_fields=("id", "start_time", "end_time"), fields={
              name: Value() for name in ("start_time", "end_time", "error_count", "warning_count", "input_method",
                                         "filename", "url", "num_detected_items", "num_persisted_items",
                                         "num_deleted_items", "error_report")
          })


class FileParam(P):
    """A multipart file part (Django's UploadedFile), or file content sent as a plain string."""

    def parse(self, value):
        if hasattr(value, "read"):
            return value
        if isinstance(value, (dict, list)):
            raise errors.bad_type(self.name, "a file")
        return str(value)


def _read_file(value) -> tuple[str, bytes]:
    if hasattr(value, "read"):
        if getattr(value, "size", 0) and value.size > MAX_BYTES:
            raise errors.invalid_param("The file is larger than 100 MB")
        return getattr(value, "name", "") or "upload.csv", value.read()
    return "upload.csv", value.encode("utf-8")


def _fetch(url: str) -> bytes:
    import requests

    if not re.match(r"https?://", url):
        raise errors.invalid_param("url must be an http(s) URL", error_data={"blame_field_specs": [["url"]]})
    try:
        response = requests.get(url, timeout=10, allow_redirects=False)
    except requests.RequestException as exc:
        raise errors.invalid_param(f"The file at url could not be fetched ({type(exc).__name__})")
    if response.status_code != 200:
        raise errors.invalid_param(f"The file at url could not be fetched (HTTP {response.status_code})")
    return response.content


@route("POST", f"{{feed:{FEED}}}/uploads", params=(
    FileParam("file"), P("url"), P("update_only", "bool", default=False), P("username"), P("password"),
    P("fbe_external_business_id"),
))
def create_upload(ctx):
    feed = ctx.node
    a = ctx.args
    if (a.get("file") is None) == (not a.get("url")):
        raise errors.invalid_param("Give the feed file either as a multipart file or as a url",
                                   error_data={"blame_field_specs": [["file"]]})
    if feed.data.get("feed_type") != "OFFER":
        raise errors.invalid_param("The sandbox processes uploads of OFFER feeds only")
    if a.get("file") is not None:
        filename, content = _read_file(a["file"])
        method, url = "Manual Upload", None
    else:
        content, filename, method, url = _fetch(a["url"]), a["url"].rsplit("/", 1)[-1], "Server Upload", a["url"]
    upload = Node.objects.create(type=UPLOAD, business_id=feed.business_id, parent_id=feed.gid, data={
        "start_time": iso(timezone.now()), "input_method": method, "filename": filename, "url": url,
        "update_only": bool(a.get("update_only")), "content": content.decode("utf-8", errors="replace"),
        "errors": [],
    })
    feed.data["latest_upload"] = upload.gid
    feed.save(update_fields=["data", "updated"])
    if not switch().get("manual_processing"):
        process(upload)
    return {"id": upload.gid}


@edge(FEED, "uploads", item_label="ProductFeedUpload", newest_first=True)
def feed_uploads(ctx, node, args):
    return Node.objects.of_type(UPLOAD).filter(parent_id=node.gid)


ERROR_FIELDS = ("id", "summary", "description", "severity", "row_number", "column_number", "column_name",
                "error_type", "total_count")


@edge(UPLOAD, "errors", item_label="ProductFeedUploadError", item_fields=ERROR_FIELDS,
      params=(P("error_priority", "enum", enum=("HIGH", "MEDIUM", "LOW")),))
def upload_errors(ctx, node, args):
    found = node.data.get("errors") or []
    if args.get("error_priority") == "HIGH":
        found = [e for e in found if e["severity"] == "fatal"]
    elif args.get("error_priority") in ("MEDIUM", "LOW"):
        found = [e for e in found if e["severity"] == "warning"]
    return found

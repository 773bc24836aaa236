"""The sandbox's router: a registry that endpoint modules fill, and the dispatcher.

Endpoint modules live in `meta_sandbox/endpoints/` and are all imported at start-up. They
declare three things (docs/sandbox.md, "Adding an endpoint"):

- node types: `node_type("catalog", label="ProductCatalog", fields={...}, default_fields=(...))`
  makes `GET /{id}` (with `fields=`) work for nodes of that type;
- edges: `@edge("catalog", "products", params=(...))` returns the edge's items; the router
  paginates them and serves both `GET /{catalog_id}/products` and `fields=products{...}`;
- routes: `@route("POST", "{catalog:catalog}/items_batch", params=(...), buc="catalog_batch")`
  for everything else (writes, literal paths like `debug_token`).

Placeholders: `{name}` captures a segment; `{name:type}` (or `{name:type1,type2}`, or
`{name:node}` for any type) must resolve to a node the token can see, of that type. Only the
first segment may be a node.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest

from . import auth, errors
from .fields import Sel, parse_fields, to_text
from .models import IdempotencyRecord, Node, Token
from .params import P, parse_declared

# --- fields -----------------------------------------------------------------------------------


class FieldDef:
    def render(self, ctx: Ctx, node: Node, sel: Sel) -> Any:
        raise NotImplementedError


def _select(value: Any, sel: Sel) -> Any:
    """Apply a sub-selection to a struct value (dict or list of dicts)."""
    if not sel.children:
        return value
    wanted = [child.name for child in sel.children]
    if isinstance(value, dict):
        return {k: value[k] for k in wanted if k in value}
    if isinstance(value, list):
        return [{k: item[k] for k in wanted if k in item} if isinstance(item, dict) else item for item in value]
    return value


@dataclass
class Value(FieldDef):
    """A stored field: `node.data[key]` (key defaults to the field name)."""

    key: str | None = None
    default: Any = None

    def render(self, ctx, node, sel):
        value = node.data.get(self.key or sel.name, self.default)
        return _select(value, sel)


@dataclass
class Ref(FieldDef):
    """A stored reference to another node, rendered as that node (default: id and name)."""

    key: str | None = None
    default_fields: tuple[str, ...] = ("id", "name")

    def render(self, ctx, node, sel):
        target_id = node.data.get(self.key or sel.name)
        if not target_id:
            return None
        target = ctx.peek(str(target_id))
        if target is None:
            return {"id": str(target_id)}
        selection = sel.children or [Sel(n) for n in self.default_fields if n == "id" or n in target.data]
        return ctx.render(target, selection)


@dataclass
class Computed(FieldDef):
    """A field computed by `fn(ctx, node)`; struct values honour sub-selections."""

    fn: Callable[[Ctx, Node], Any]

    def render(self, ctx, node, sel):
        return _select(self.fn(ctx, node), sel)


# --- registry ---------------------------------------------------------------------------------


@dataclass
class NodeType:
    name: str
    label: str
    fields: dict[str, FieldDef]
    default_fields: tuple[str, ...] = ("id",)
    perms: tuple[str, ...] = ()
    buc: str | None = None
    addressable: bool = True


@dataclass
class EdgeDef:
    node_type: str
    name: str
    fn: Callable[[Ctx, Node, dict], Any]
    params: tuple[P, ...] = ()
    perms: tuple[str, ...] | None = None
    buc: str | None = None
    paged: bool = True
    default_limit: int = 25
    max_limit: int = 100
    summary: bool = False
    item_label: str = "Object"
    #: For edges listing dicts: the fields an item may have (absent ones are left out).
    item_fields: tuple[str, ...] | None = None
    newest_first: bool = False


@dataclass
class Reply:
    """A handler's answer when it is not a plain 200 JSON object."""

    body: Any
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Route:
    method: str
    pattern: str
    handler: Callable[[Ctx], Any]
    auth: bool | str = True  # True: token required; "optional"; False: no token read
    proof: str = "auto"  # "auto": per the require-proof switch; "required"; "never"
    perms: tuple[str, ...] | None = None  # any of; None: the node type's
    buc: str | None = None
    params: tuple[P, ...] = ()
    paging: bool = False
    strict: bool = True
    idempotency: str | None = None  # None, "optional" or "required"
    removed_in: str | None = None  # e.g. "v26.0": answered with code 12 on that version and later
    segs: tuple = ()

    def __post_init__(self):
        segs = []
        for part in self.pattern.strip("/").split("/") if self.pattern.strip("/") else []:
            if part.startswith("{") and part.endswith("}"):
                name, _, types = part[1:-1].partition(":")
                segs.append((name, tuple(types.split(",")) if types else None))
            else:
                segs.append(part)
        self.segs = tuple(segs)
        if self.idempotency and not any(p.name == "idempotency_key" for p in self.params):
            self.params = (*self.params, P("idempotency_key"))

    @property
    def literal(self) -> bool:
        return all(isinstance(s, str) for s in self.segs)


class Registry:
    def __init__(self):
        self.node_types: dict[str, NodeType] = {}
        self.edges: dict[tuple[str, str], EdgeDef] = {}
        self.literal: dict[str, dict[str, Route]] = {}
        self.node_routes: list[Route] = []

    @property
    def literal_heads(self) -> set[str]:
        return {path.split("/", 1)[0] for path in self.literal if path}

    def add_route(self, r: Route) -> Route:
        if r.literal:
            methods = self.literal.setdefault("/".join(r.segs), {})
            if r.method in methods:
                raise ValueError(f"route {r.method} {r.pattern} registered twice")
            methods[r.method] = r
        else:
            if not isinstance(r.segs[0], tuple) or r.segs[0][1] is None:
                raise ValueError(f"route {r.pattern}: the first segment must be a typed node placeholder")
            if any(existing.method == r.method and existing.segs == r.segs for existing in self.node_routes):
                raise ValueError(f"route {r.method} {r.pattern} registered twice")
            self.node_routes.append(r)
        return r


registry = Registry()


def node_type(name: str, *, label: str, fields: dict[str, FieldDef], default_fields=("id",), perms=(),
              buc: str | None = None, addressable: bool = True) -> NodeType:
    """Declare a node type (see module docstring). `id` is always a field."""
    if name in registry.node_types:
        raise ValueError(f"node type {name} registered twice")
    nt = NodeType(name=name, label=label, fields=dict(fields), default_fields=tuple(default_fields),
                  perms=tuple(perms), buc=buc, addressable=addressable)
    registry.node_types[name] = nt
    return nt


def route(method: str, pattern: str, **options) -> Callable:
    """Register `handler(ctx) -> dict | list | Reply` for METHOD and pattern."""

    def decorator(handler):
        registry.add_route(Route(method=method.upper(), pattern=pattern, handler=handler, **options))
        return handler

    return decorator


def edge(types: str | Iterable[str], name: str, **options) -> Callable:
    """Register `fn(ctx, node, args) -> QuerySet[Node] | list` as a paginated GET edge."""
    type_names = (types,) if isinstance(types, str) else tuple(types)

    def decorator(fn):
        for type_name in type_names:
            edge_def = EdgeDef(node_type=type_name, name=name, fn=fn, **options)
            if (type_name, name) in registry.edges:
                raise ValueError(f"edge {type_name}/{name} registered twice")
            registry.edges[(type_name, name)] = edge_def
        registry.add_route(Route(
            method="GET", pattern=f"{{node:{','.join(type_names)}}}/{name}", handler=_edge_handler,
            perms=options.get("perms"), buc=options.get("buc"), params=tuple(options.get("params", ())),
            paging=options.get("paged", True),
        ))
        return fn

    return decorator


def _edge_handler(ctx: Ctx):
    edge_def = registry.edges[(ctx.node.type, ctx.segments[1])]
    return ctx.list_edge(ctx.node, edge_def, ctx.selection, ctx.args, path_access=True)


def _node_read(ctx: Ctx):
    return ctx.render(ctx.node, ctx.selection)


NODE_READ = Route(method="GET", pattern="{node:node}", handler=_node_read)


# --- request context --------------------------------------------------------------------------


class Ctx:
    """Everything a handler needs about the call being served."""

    def __init__(self, *, request: HttpRequest, method: str, version: str, path: str, raw: dict, config: dict,
                 trace_id: str, base: str):
        self.request = request
        self.method = method
        self.version = version
        self.path = path
        self.segments = [s for s in path.split("/") if s] if path else []
        self.raw = raw
        self.config = config
        self.trace_id = trace_id
        self.base = base  # absolute URL of the sandbox root, with a trailing slash
        self.token: Token | None = None
        self.token_raw: str | None = None
        self.app = False
        self.route: Route | None = None
        self.node: Node | None = None
        self.bound: dict[str, Any] = {}
        self.args: dict[str, Any] = {}
        self.selection: list[Sel] | None = None
        self.business_id = ""
        self.buc_type = ""
        self._nodes: dict[str, Node | None] = {}

    # --- identity ---
    @property
    def token_kind(self) -> str:
        return "app" if self.app else (self.token.kind if self.token else "")

    def require_user_token(self) -> Token:
        if self.token is None:
            raise errors.GraphError("(#100) This call requires a user or system user access token", code=100)
        return self.token

    def has_scope(self, *perms: str) -> bool:
        return self.token is not None and any(p in self.token.scopes for p in perms)

    def require_perms(self, perms: tuple[str, ...]) -> None:
        if perms and not self.has_scope(*perms):
            raise errors.permission(*perms)

    # --- nodes ---
    def peek(self, gid: str) -> Node | None:
        """A live node by Graph id, without access checks (cached for the request)."""
        if gid not in self._nodes:
            pk = Node.pk_from_gid(gid)
            self._nodes[gid] = Node.objects.filter(pk=pk, deleted=False).first() if pk else None
        return self._nodes[gid]

    def can_see(self, node: Node) -> bool:
        if self.token is None:
            return False
        if node.type in ("user", "system_user") and node.gid == self.token.user_id:
            return True
        business = node.gid if node.type == "business" else node.business_id
        return bool(business) and business == self.token.business_id

    def lookup(self, alias: str) -> Node:
        """The node a path segment names, as the token sees it (raises Meta's errors)."""
        if alias == "me":
            if self.token is None:
                raise errors.GraphError("An active access token must be used to query information about the "
                                        "current user.", code=2500)
            gid = self.token.page_id if self.token.kind == Token.Kind.PAGE else self.token.user_id
            node = self.peek(gid)
            if node is None:
                raise errors.unsupported(self.method, gid)
            return node
        if not alias.isdigit():
            raise errors.unknown_alias(alias)
        node = self.peek(alias)
        nt = registry.node_types.get(node.type) if node else None
        if node is None or nt is None or not nt.addressable or not self.can_see(node):
            raise errors.unsupported(self.method, alias)
        return node

    # --- rendering ---
    def render(self, node: Node, selection: list[Sel] | None = None) -> dict:
        nt = registry.node_types.get(node.type)
        if nt is None:
            return {"id": node.gid}
        if selection is None:
            selection = [Sel(name) for name in nt.default_fields]
        out: dict[str, Any] = {}
        for sel in selection:
            if sel.name == "id":
                out["id"] = node.gid
                continue
            field_def = nt.fields.get(sel.name)
            if field_def is not None:
                value = field_def.render(self, node, sel)
            else:
                edge_def = registry.edges.get((node.type, sel.name))
                if edge_def is None:
                    raise errors.nonexisting_field(sel.name, nt.label)
                value = self.list_edge(node, edge_def, sel.children, self._nested_args(edge_def, sel),
                                       path_access=False, limit=sel.limit, summary=sel.summary)
            if value is not None:
                out[sel.name] = value
        out.setdefault("id", node.gid)
        return out

    def render_item(self, item: Any, selection: list[Sel] | None, label: str,
                    item_fields: tuple[str, ...] | None = None) -> Any:
        if isinstance(item, Node):
            return self.render(item, selection)
        if isinstance(item, dict) and selection:
            out = {}
            for sel in selection:
                if sel.name not in item:
                    if sel.name == "id" or (item_fields and sel.name in item_fields):
                        continue
                    raise errors.nonexisting_field(sel.name, label)
                out[sel.name] = _select(item[sel.name], sel)
            return out
        return item

    @staticmethod
    def _nested_args(edge_def: EdgeDef, sel: Sel) -> dict:
        return {p.name: p.default for p in edge_def.params}

    # --- lists and pagination ---
    def list_edge(self, node: Node, edge_def: EdgeDef, selection, args: dict, *, path_access: bool,
                  limit: int | None = None, summary: bool = False) -> dict:
        listing = edge_def.fn(self, node, args)
        def render(item):
            return self.render_item(item, selection, edge_def.item_label, edge_def.item_fields)

        if path_access:
            summary = summary or _truthy(self.raw.get("summary"))
        want_summary = edge_def.summary and summary
        if not edge_def.paged:
            items = list(listing)
            out = {"data": [render(item) for item in items]}
            if want_summary:
                out["summary"] = {"total_count": len(items)}
            return out
        if path_access:
            link_path = self.path
            link_params = {k: v for k, v in self.request.GET.items() if k not in ("after", "before", "limit")}
            limit = self._limit(self.raw.get("limit"), edge_def)
            after, before = self.raw.get("after"), self.raw.get("before")
        else:
            link_path = f"{node.gid}/{edge_def.name}"
            link_params = {}
            if "access_token" in self.request.GET:
                link_params["access_token"] = self.request.GET["access_token"]
                if "appsecret_proof" in self.request.GET:
                    link_params["appsecret_proof"] = self.request.GET["appsecret_proof"]
            if selection:
                link_params["fields"] = to_text(selection)
            limit = self._limit(limit, edge_def)
            after = before = None
        page = paginate(listing, limit=limit, after=after, before=before, newest_first=edge_def.newest_first)
        out: dict[str, Any] = {"data": [render(item) for item in page.items]}
        if page.items:
            paging: dict[str, Any] = {"cursors": {"before": page.first_cursor, "after": page.last_cursor}}
            if page.has_previous:
                paging["previous"] = self.link(link_path, {**link_params, "limit": limit, "before": page.first_cursor})
            if page.has_next:
                paging["next"] = self.link(link_path, {**link_params, "limit": limit, "after": page.last_cursor})
            out["paging"] = paging
        if want_summary:
            out["summary"] = {"total_count": page.total()}
        return out

    def paginate_list(self, listing, *, selection=None, label: str = "Object", default_limit: int = 25,
                      max_limit: int = 100) -> dict:
        """Paginate the items of a route's own list (not a registered edge) from the request."""
        edge_def = EdgeDef(node_type="", name="", fn=lambda *_: listing, default_limit=default_limit,
                           max_limit=max_limit, item_label=label)
        return self.list_edge(self.node, edge_def, selection if selection is not None else self.selection, {},
                              path_access=True)

    @staticmethod
    def _limit(value: Any, edge_def: EdgeDef) -> int:
        if value in (None, ""):
            return edge_def.default_limit
        try:
            limit = int(value)
        except (TypeError, ValueError):
            raise errors.bad_type("limit", "an integer")
        if limit < 0:
            raise errors.bad_type("limit", "a positive integer")
        return min(max(limit, 1), edge_def.max_limit) if limit else edge_def.default_limit

    def link(self, path: str, params: dict) -> str:
        query = urlencode({k: v for k, v in params.items() if v is not None})
        return f"{self.base}{self.version}/{path}" + (f"?{query}" if query else "")


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("true", "1")


# --- pagination -------------------------------------------------------------------------------


def encode_cursor(kind: str, value: Any) -> str:
    return base64.urlsafe_b64encode(f"sbx:{kind}:{value}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str, kind: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, got_kind, value = text.split(":", 2)
        if prefix != "sbx" or got_kind != kind:
            raise ValueError
        return int(value)
    except (ValueError, UnicodeDecodeError):
        raise errors.invalid_param("Invalid cursor")


@dataclass
class Page:
    items: list
    first_cursor: str | None
    last_cursor: str | None
    has_next: bool
    has_previous: bool
    total: Callable[[], int]


def paginate(listing, *, limit: int, after: str | None, before: str | None, newest_first: bool = False) -> Page:
    """Cursor pagination over a QuerySet of nodes (keyset on pk) or a list (offset cursors)."""
    if isinstance(listing, QuerySet):
        return _paginate_queryset(listing, limit, after, before, newest_first)
    items = list(listing)
    start = 0
    if after:
        start = decode_cursor(after, "o") + 1
    elif before:
        start = max(0, decode_cursor(before, "o") - limit)
    end = decode_cursor(before, "o") if before and not after else start + limit
    window = items[start:end][:limit]
    last_index = start + len(window) - 1
    return Page(items=window, first_cursor=encode_cursor("o", start) if window else None,
                last_cursor=encode_cursor("o", last_index) if window else None,
                has_next=last_index + 1 < len(items), has_previous=start > 0, total=lambda: len(items))


def _paginate_queryset(qs: QuerySet, limit: int, after: str | None, before: str | None, newest_first: bool) -> Page:
    forward, backward = ("-pk", "pk") if newest_first else ("pk", "-pk")
    gt, lt = ("pk__lt", "pk__gt") if newest_first else ("pk__gt", "pk__lt")
    base = qs
    has_previous = has_next = False
    if after:
        rows = list(base.filter(**{gt: decode_cursor(after, "k")}).order_by(forward)[:limit + 1])
        has_next, has_previous = len(rows) > limit, True
        rows = rows[:limit]
    elif before:
        rows = list(base.filter(**{lt: decode_cursor(before, "k")}).order_by(backward)[:limit + 1])
        has_previous, has_next = len(rows) > limit, True
        rows = list(reversed(rows[:limit]))
    else:
        rows = list(base.order_by(forward)[:limit + 1])
        has_next = len(rows) > limit
        rows = rows[:limit]
    return Page(items=rows, first_cursor=encode_cursor("k", rows[0].pk) if rows else None,
                last_cursor=encode_cursor("k", rows[-1].pk) if rows else None,
                has_next=has_next, has_previous=has_previous, total=lambda: base.count())


# --- dispatch ---------------------------------------------------------------------------------


def _bearer(request: HttpRequest) -> str | None:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() in ("bearer", "oauth") and value.strip():
        return value.strip()
    return None


def authenticate(ctx: Ctx, r: Route | None) -> None:
    mode = r.auth if r else True
    if mode is False:
        return
    raw = ctx.raw.get("access_token") or _bearer(ctx.request)
    if not raw:
        if mode is True:
            raise errors.missing_token()
        return
    raw = str(raw)
    if auth.is_app_token(raw):
        auth.check_app_token(raw)
        # An app token needs no proof, but a proof that is sent must be right.
        auth.check_proof(raw, ctx.raw.get("appsecret_proof"), required=False)
        ctx.app = True
        return
    token = auth.find(raw)
    problem = auth.problem(token)
    if problem:
        raise problem
    proof_mode = r.proof if r else "auto"
    required = proof_mode == "required" or (proof_mode == "auto" and ctx.config["require_appsecret_proof"])
    if proof_mode != "never":
        auth.check_proof(raw, ctx.raw.get("appsecret_proof"), required=required)
    ctx.token, ctx.token_raw = token, raw


def resolve(ctx: Ctx) -> Route:
    """Find the route for this call, authenticate, and bind its placeholders."""
    segs = ctx.segments
    path = "/".join(segs)
    methods = registry.literal.get(path)
    if methods is not None:
        r = methods.get(ctx.method)
        if r is None:
            raise errors.unsupported(ctx.method)
        authenticate(ctx, r)
        return r
    if not segs:
        raise errors.unsupported(ctx.method)
    head = segs[0]
    if head in registry.literal_heads:
        raise errors.unknown_path(path)
    authenticate(ctx, None)
    if ctx.token is None and ctx.app:
        if head == "me":
            ctx.lookup(head)
        raise errors.unsupported(ctx.method, head) if head.isdigit() else errors.unknown_alias(head)
    node = ctx.lookup(head)
    ctx.node = node
    for r in registry.node_routes:
        if r.method != ctx.method or len(r.segs) != len(segs):
            continue
        bound = _bind(r, segs, node)
        if bound is not None:
            ctx.bound = bound
            if r.proof == "required":
                auth.check_proof(ctx.token_raw, ctx.raw.get("appsecret_proof"), required=True)
            return r
    label = registry.node_types[node.type].label
    if len(segs) == 1:
        if ctx.method == "GET":
            return NODE_READ
        raise errors.unsupported(ctx.method, head)
    if len(segs) == 2:
        exists = any(len(r.segs) == 2 and r.segs[1] == segs[1] and _type_ok(r.segs[0], node)
                     for r in registry.node_routes)
        if ctx.method == "GET" and not exists:
            raise errors.nonexisting_field(segs[1], label)
        raise errors.unsupported(ctx.method, head)
    raise errors.unknown_path(path)


def _type_ok(seg, node: Node) -> bool:
    types = seg[1]
    return "node" in types or node.type in types


def _bind(r: Route, segs: list[str], node: Node) -> dict | None:
    if not _type_ok(r.segs[0], node):
        return None
    bound: dict[str, Any] = {r.segs[0][0]: node}
    for pattern, value in zip(r.segs[1:], segs[1:], strict=True):
        if isinstance(pattern, str):
            if pattern != value:
                return None
        else:
            bound[pattern[0]] = value
    return bound


def version_tuple(version: str) -> tuple[int, int]:
    major, _, minor = version.lstrip("v").partition(".")
    return int(major), int(minor or 0)


def prepare(ctx: Ctx, r: Route) -> None:
    """Checks that follow routing: version gates, permissions, accounting scope."""
    ctx.route = r
    if r.removed_in and version_tuple(ctx.version) >= version_tuple(r.removed_in):
        raise errors.deprecated(ctx.path, r.removed_in)
    nt = registry.node_types.get(ctx.node.type) if ctx.node else None
    if ctx.node is not None:
        perms = r.perms if r.perms is not None else (nt.perms if nt else ())
        ctx.require_perms(tuple(perms))
        ctx.business_id = ctx.node.gid if ctx.node.type == "business" else ctx.node.business_id
    elif ctx.token is not None:
        if r.perms:
            ctx.require_perms(r.perms)
        ctx.business_id = ctx.token.business_id
    ctx.buc_type = r.buc or (nt.buc if nt else None) or ""


def execute(ctx: Ctx) -> Reply:
    """Validate parameters and run the handler in a transaction (with idempotency replay)."""
    r = ctx.route
    ctx.args = parse_declared(ctx.raw, r.params, paging=r.paging, strict=r.strict)
    ctx.selection = parse_fields(ctx.raw.get("fields"))
    if not r.idempotency:
        with transaction.atomic():
            return _as_reply(r.handler(ctx))
    key = ctx.raw.get("idempotency_key")
    if not key:
        if r.idempotency == "required":
            raise errors.required_param("idempotency_key")
        with transaction.atomic():
            return _as_reply(r.handler(ctx))
    key = str(key)
    digest = _request_hash(ctx)
    replay = _replay(ctx.path, key, digest)
    if replay is not None:
        return replay
    try:
        with transaction.atomic():
            reply = _as_reply(r.handler(ctx))
            if 200 <= reply.status < 300:
                IdempotencyRecord.objects.create(scope=ctx.path, key=key, request_hash=digest, status=reply.status,
                                                 body=reply.body)
            return reply
    except IntegrityError:
        # A concurrent call with the same key won; answer as its replay would.
        replay = _replay(ctx.path, key, digest)
        if replay is None:
            raise
        return replay


def _replay(scope: str, key: str, digest: str) -> Reply | None:
    record = IdempotencyRecord.objects.filter(scope=scope, key=key).first()
    if record is None:
        return None
    if record.request_hash != digest:
        raise errors.invalid_param(f"The idempotency key {key} was already used for a different request",
                                   error_data={"blame_field_specs": [["idempotency_key"]]})
    return Reply(record.body, record.status, {"X-Sandbox-Idempotent-Replay": "true"})


def _request_hash(ctx: Ctx) -> str:
    args = {k: v for k, v in ctx.args.items() if k != "idempotency_key"}
    text = json.dumps({"method": ctx.method, "path": ctx.path, "args": args}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _as_reply(result: Any) -> Reply:
    return result if isinstance(result, Reply) else Reply(result)

"""The registry endpoint modules fill: field kinds, node types, edges and routes."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..fields import Sel
from ..models import Node
from ..params import P

if TYPE_CHECKING:
    from .context import Ctx


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
        params = tuple(options.get("params", ()))
        if not options.get("paged", True) and not any(p.name == "summary" for p in params):
            # Graph accepts `summary` on every edge read (Meta's SDKs send summary=true on each
            # one) and leaves the summary out where the edge has none.
            params = (*params, P("summary"))
        registry.add_route(Route(
            method="GET", pattern=f"{{node:{','.join(type_names)}}}/{name}", handler=_edge_handler,
            perms=options.get("perms"), buc=options.get("buc"), params=params,
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

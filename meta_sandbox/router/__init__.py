"""The sandbox's router: a registry that endpoint modules fill, and the dispatcher.

Endpoint modules live in `meta_sandbox/endpoints/` and are all imported at start-up. They
declare three things (docs/sandbox.md, "Adding an endpoint"):

- node types: `node_type("catalog", label="ProductCatalog", fields={...}, default_fields=(...))`
  makes `GET /{id}` (with `fields=`) work for nodes of that type;
- edges: `@edge("catalog", "products", params=(...))` returns the edge's items; the router
  paginates them and serves both `GET /{catalog_id}/products` and `fields=products{...}`;
- routes: `@route("POST", "{catalog:catalog}/items_batch", params=(...), buc="catalog_batch")`
  for everything else (writes, literal paths like `debug_token`).

Modules: `registry` (field kinds, node types, edges, routes), `context` (`Ctx`), `paging`
(cursors and pages), `dispatch` (authenticate, resolve, prepare, execute). Import the names
from `meta_sandbox.router`.

Placeholders: `{name}` captures a segment; `{name:type}` (or `{name:type1,type2}`, or
`{name:node}` for any type) must resolve to a node the token can see, of that type. Only the
first segment may be a node.
"""

from __future__ import annotations

from .context import Ctx
from .dispatch import authenticate, execute, prepare, resolve, version_tuple
from .paging import Page, decode_cursor, encode_cursor, paginate
from .registry import (
    NODE_READ,
    Computed,
    EdgeDef,
    FieldDef,
    NodeType,
    Ref,
    Registry,
    Reply,
    Route,
    Value,
    edge,
    node_type,
    registry,
    route,
)

__all__ = [
    "NODE_READ", "Computed", "Ctx", "EdgeDef", "FieldDef", "NodeType", "Page", "Ref", "Registry", "Reply", "Route",
    "Value", "authenticate", "decode_cursor", "edge", "encode_cursor", "execute", "node_type", "paginate", "prepare",
    "registry", "resolve", "route", "version_tuple",
]

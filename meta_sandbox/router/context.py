"""`Ctx`: everything a handler needs about the call being served (identity, nodes, rendering, lists)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest

from .. import errors
from ..fields import Sel, to_text
from ..models import Node, Token
from .paging import paginate
from .registry import EdgeDef, Route, _select, registry

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
        if alias.startswith("act_") and alias[4:].isdigit():
            # Ad accounts are addressed as act_{id} (Marketing API "Ad Account" reference).
            node = self.peek(alias[4:])
            if node is None or node.type != "ad_account" or not self.can_see(node):
                raise errors.unsupported(self.method, alias)
            return node
        if not alias.isdigit():
            raise errors.unknown_alias(alias)
        node = self.peek(alias)
        if node is not None and node.type == "ad_account":
            raise errors.unsupported(self.method, alias)  # only act_{id} names an ad account
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

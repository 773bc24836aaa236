"""Dispatch: token and proof, routing and binding, version gates and permissions, execution with idempotency."""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest

from .. import auth, errors
from ..fields import parse_fields
from ..models import IdempotencyRecord, Node
from ..params import parse_declared
from .context import Ctx
from .registry import NODE_READ, Reply, Route, registry

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


@lru_cache(maxsize=256)
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

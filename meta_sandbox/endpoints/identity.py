"""People and tokens: `/me`, User and SystemUser nodes, `/{user}/permissions`, `/me/accounts`,
`debug_token`, the OAuth code exchange (`/oauth/access_token`) and the FBE system-user token
exchange `POST /{business_id}/access_token`."""

from __future__ import annotations

import hmac
from datetime import timedelta

from django.conf import settings
from django.utils import timezone

from .. import auth, errors, services
from ..models import Node, Token
from ..params import P
from ..router import Reply, Value, edge, node_type, route

node_type("user", label="User", default_fields=("id", "name"), fields={"name": Value()})
node_type("system_user", label="SystemUser", default_fields=("id", "name"), fields={"name": Value(), "role": Value()})


# --- permissions ----------------------------------------------------------------------------------


def _permissions(token: Token) -> list[dict]:
    granted = [{"permission": s, "status": "granted"} for s in token.scopes]
    declined = [{"permission": s, "status": "declined"} for s in token.declined if s not in token.scopes]
    return granted + declined


@edge(("user", "system_user"), "permissions", paged=False, item_label="Permission",
      item_fields=("permission", "status"))
def user_permissions(ctx, node, args):
    if ctx.token is None or ctx.token.user_id != node.gid:
        # Only the person's own tokens tell which permissions they granted.
        return []
    return _permissions(ctx.token)


@route("GET", "{user:user,system_user}/permissions/{permission}")
def user_permission(ctx):
    wanted = ctx.bound["permission"]
    rows = [p for p in _permissions(ctx.token) if p["permission"] == wanted] if ctx.token else []
    return {"data": rows}


def _own_tokens(ctx, node: Node):
    if ctx.token is None or ctx.token.user_id != node.gid:
        raise errors.unsupported("DELETE", node.gid)
    return Token.objects.filter(user_id=node.gid, app_id=settings.META_APP_ID, revoked_at__isnull=True)


@route("DELETE", "{user:user,system_user}/permissions/{permission}")
def revoke_permission(ctx):
    wanted = ctx.bound["permission"]
    for token in _own_tokens(ctx, ctx.node):
        if wanted in token.scopes:
            token.scopes = [s for s in token.scopes if s != wanted]
            token.declined = sorted({*token.declined, wanted})
            token.save(update_fields=["scopes", "declined"])
    return {"success": True}


@route("DELETE", "{user:user,system_user}/permissions")
def deauthorize(ctx):
    """Remove the app: every token of this person stops working (190/458)."""
    for token in _own_tokens(ctx, ctx.node):
        auth.revoke(token, subcode=458)
    return {"success": True}


PAGE_TASKS = ["ADVERTISE", "ANALYZE", "CREATE_CONTENT", "MESSAGING", "MODERATE", "MANAGE"]


@edge("user", "accounts", item_label="Page", item_fields=("access_token", "category", "name", "id", "tasks"),
      perms=("pages_show_list", "pages_read_engagement", "manage_business_extension", "business_management"))
def user_accounts(ctx, node, args):
    out = []
    for page in Node.objects.of_type("page").filter(business_id=node.business_id).order_by("pk"):
        raw, _ = auth.mint(kind=Token.Kind.PAGE, user_id=node.gid, business_id=page.business_id, page_id=page.gid,
                           scopes=ctx.token.scopes if ctx.token else [])
        out.append({"access_token": raw, "category": page.data.get("category"), "name": page.data.get("name"),
                    "id": page.gid, "tasks": PAGE_TASKS})
    return out


@edge("user", "businesses", item_label="Business", perms=("business_management", "manage_business_extension"))
def user_businesses(ctx, node, args):
    return Node.objects.of_type("business").filter(business_id=node.business_id)


# --- debug_token ----------------------------------------------------------------------------------

TOKEN_TYPES = {Token.Kind.USER: "USER", Token.Kind.SYSTEM_USER: "SYSTEM_USER", Token.Kind.PAGE: "PAGE"}
_TARGETED = {"catalog_management": "catalog", "pages_show_list": "page", "pages_read_engagement": "page",
             "pages_manage_metadata": "page", "instagram_basic": "instagram_account", "business_management": "business"}


def _granular(token: Token) -> list[dict]:
    out = []
    for scope in token.scopes:
        entry: dict = {"scope": scope}
        kind = _TARGETED.get(scope)
        if kind == "business":
            entry["target_ids"] = [token.business_id]
        elif kind:
            ids = Node.objects.of_type(kind).filter(business_id=token.business_id).order_by("pk")
            entry["target_ids"] = [n.gid for n in ids]
        out.append(entry)
    return out


def debug_data(raw: str) -> dict:
    if auth.is_app_token(raw):
        app_id, _, secret = raw.partition("|")
        valid = app_id == settings.META_APP_ID and hmac.compare_digest(secret, settings.META_APP_SECRET)
        if valid:
            return {"app_id": app_id, "type": "APP", "application": services.app_name(), "is_valid": True}
        return {"error": {"code": 190, "message": "Invalid OAuth access token signature."}, "is_valid": False,
                "scopes": []}
    token = auth.find(raw)
    problem = auth.problem(token)
    if token is None:
        return {"error": {"code": problem.code, "message": "Invalid OAuth access token - Cannot parse access token"},
                "is_valid": False, "scopes": []}
    data = {
        "app_id": token.app_id,
        "type": TOKEN_TYPES[token.kind],
        "application": services.app_name(),
        "data_access_expires_at": auth.epoch(token.issued_at + timedelta(days=90)) if token.kind == "user" else 0,
        "expires_at": auth.epoch(token.expires_at),
        "is_valid": problem is None,
        "issued_at": auth.epoch(token.issued_at),
        "scopes": list(token.scopes) if problem is None else [],
        "granular_scopes": _granular(token) if problem is None else [],
        "user_id": token.user_id,
    }
    if token.kind == Token.Kind.PAGE:
        data["profile_id"] = token.page_id
    if problem is not None:
        data["error"] = {"code": problem.code, "message": problem.message, "subcode": problem.subcode}
    return data


@route("GET", "debug_token", params=(P("input_token", required=True),))
def debug_token(ctx):
    return {"data": debug_data(ctx.args["input_token"])}


# --- OAuth code exchange --------------------------------------------------------------------------


def _check_client(ctx, *, secret_required: bool = True) -> None:
    client_id = ctx.args.get("client_id")
    if not client_id:
        raise errors.GraphError("Missing client_id parameter.", code=101)
    if client_id != settings.META_APP_ID:
        raise errors.GraphError("Error validating application. Invalid application ID.", code=101)
    secret = ctx.args.get("client_secret")
    if secret_required and not secret:
        raise errors.GraphError("Missing client_secret parameter.", code=1)
    if secret and not hmac.compare_digest(secret, settings.META_APP_SECRET):
        raise errors.GraphError("Error validating client secret.", code=1)


OAUTH_PARAMS = (P("client_id"), P("client_secret"), P("redirect_uri"), P("code"),
                P("grant_type", "enum", enum=("authorization_code", "fb_exchange_token", "client_credentials")),
                P("fb_exchange_token"), P("set_token_expires_in_60_days", "bool"))


def oauth_access_token(ctx):
    _check_client(ctx)
    grant = ctx.args["grant_type"] or ("fb_exchange_token" if ctx.args["fb_exchange_token"] else "authorization_code")
    if grant == "client_credentials":
        return {"access_token": auth.app_token(), "token_type": "bearer"}
    if grant == "fb_exchange_token":
        if not ctx.args["fb_exchange_token"]:
            raise errors.required_param("fb_exchange_token")
        token = auth.find(ctx.args["fb_exchange_token"])
        problem = auth.problem(token)
        if problem:
            raise problem
        if token.kind != Token.Kind.USER:
            raise errors.invalid_param("fb_exchange_token must be a user access token")
        ttl = int(ctx.config["dialog"]["user_token_ttl_seconds"])
        raw, _ = auth.mint(kind=Token.Kind.USER, user_id=token.user_id, business_id=token.business_id,
                           scopes=token.scopes, declined=token.declined, expires_in=ttl, install_id=token.install_id)
        return {"access_token": raw, "token_type": "bearer", "expires_in": ttl}
    if not ctx.args["redirect_uri"]:
        raise errors.GraphError("Missing redirect_uri parameter.", code=191)
    if not ctx.args["code"]:
        raise errors.GraphError("Missing code parameter.", code=100)
    code = services.find_code(ctx.args["code"])
    if code is None:
        raise errors.GraphError("Invalid verification code format.", code=100)
    if code.used_at is not None:
        raise errors.GraphError("This authorization code has been used.", code=100, subcode=36009)
    if code.expires_at <= timezone.now():
        raise errors.GraphError("This authorization code has expired.", code=100, subcode=36007)
    if code.redirect_uri != ctx.args["redirect_uri"]:
        raise errors.GraphError("Error validating verification code. Please make sure your redirect_uri is identical "
                                "to the one you used in the OAuth dialog request", code=100, subcode=36008)
    raw, ttl = services.user_token_for_code(code)
    return {"access_token": raw, "token_type": "bearer", "expires_in": ttl}


route("GET", "oauth/access_token", auth=False, params=OAUTH_PARAMS)(oauth_access_token)
route("POST", "oauth/access_token", auth=False, params=OAUTH_PARAMS)(oauth_access_token)


# --- FBE system-user token ---------------------------------------------------------------------------


@route("POST", "{business:business}/access_token", proof="required", perms=(), params=(
    P("app_id", required=True), P("scope", "list", required=True), P("fbe_external_business_id"),
    P("set_token_expires_in_60_days", "bool"),
))
def system_user_token(ctx):
    """Exchange the business admin's user token for the FBE system-user token."""
    token = ctx.require_user_token()
    if token.kind != Token.Kind.USER:
        raise errors.GraphError("(#100) This call requires a user access token of a business admin", code=100)
    if ctx.args["app_id"] != settings.META_APP_ID:
        raise errors.invalid_param("Invalid app_id", error_data={"blame_field_specs": [["app_id"]]})
    scopes = ctx.args["scope"]
    unknown = [s for s in scopes if s not in auth.KNOWN_SCOPES]
    if unknown:
        raise errors.invalid_param(f"Invalid scope: {', '.join(unknown)}")
    missing = [s for s in scopes if s not in token.scopes]
    if missing:
        raise errors.permission(*missing)
    external_id = ctx.args["fbe_external_business_id"]
    install_id = token.install_id
    if external_id:
        install = services.active_install(external_id)
        if install is None or install.business_id != ctx.node.gid:
            raise errors.invalid_param(f"No FBE installation for fbe_external_business_id {external_id}")
        install_id = install.gid
    su = services.system_user(ctx.node)
    expires_in = 60 * 86400 if ctx.args["set_token_expires_in_60_days"] else None
    raw, _ = auth.mint(kind=Token.Kind.SYSTEM_USER, user_id=su.gid, business_id=ctx.node.gid, scopes=scopes,
                       expires_in=expires_in, install_id=install_id)
    return Reply({"access_token": raw})

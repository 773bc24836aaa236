"""The control API (`/graph-sandbox/_control/...`): JSON in, JSON out, sandbox only.

It is the server side of `meta_sandbox/testing.py:SandboxControl`; docs/sandbox.md lists
every call with a curl example. Errors answer `{"error": "<message>"}` with 400 or 404.
"""

from __future__ import annotations

import json
from fnmatch import fnmatchcase
from functools import wraps

from django.db import transaction
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from . import auth, faults, services, webhooks
from .config import get_config, update_config
from .models import Fault, Node, RequestLog, Token, WebhookEvent


class ControlError(Exception):
    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def control(*methods: str):
    """A control view: CSRF-exempt, JSON body parsed into `body`, errors as JSON."""

    def decorator(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            if request.method not in methods:
                return JsonResponse({"error": f"method {request.method} not allowed"}, status=405)
            try:
                body = json.loads(request.body) if request.body.strip() else {}
                if not isinstance(body, dict):
                    raise ControlError("the body must be a JSON object")
                result = view(request, body, *args, **kwargs)
            except ControlError as exc:
                return JsonResponse({"error": str(exc)}, status=exc.status)
            except (ValueError, LookupError) as exc:
                return JsonResponse({"error": str(exc)}, status=404 if isinstance(exc, LookupError) else 400)
            if result is None:
                return JsonResponse({}, status=200)
            return JsonResponse(result, safe=False)

        return wrapper

    return decorator


def _node_or_404(gid: str, type: str | None = None) -> Node:
    pk = Node.pk_from_gid(gid)
    node = Node.objects.filter(pk=pk).first() if pk else None
    if node is None or (type and node.type != type):
        raise ControlError(f"no {type or 'object'} {gid}", 404)
    return node


def _token_or_404(body: dict) -> Token:
    raw = body.get("access_token") or ""
    token = auth.find(str(raw)) if raw else None
    if token is None:
        raise ControlError("unknown access_token", 404)
    return token


# --- state -------------------------------------------------------------------------------------


@control("POST")
def reset(request, body):
    services.reset()


def state_dict() -> dict:
    def ids(type: str) -> list[str]:
        return [Node(pk=pk).gid for pk in Node.objects.of_type(type).order_by("pk").values_list("pk", flat=True)]

    businesses = []
    for business in Node.objects.of_type("business").order_by("pk"):
        businesses.append({"id": business.gid, "name": business.data.get("name"),
                           "external_business_id": business.key or None, **services.assets(business.gid)})
    installs = [{"id": n.gid, "external_business_id": n.key, "business_id": n.business_id,
                 "status": n.data.get("status"), "scopes": n.data.get("scopes", [])}
                for n in Node.objects.of_type("fbe_install").order_by("pk")]
    tokens = [{"id": t.pk, "hint": f"…{t.hint}", "kind": t.kind, "business_id": t.business_id or None,
               "user_id": t.user_id, "status": t.status, "scopes": t.scopes,
               "expires_at": t.expires_at.isoformat() if t.expires_at else None}
              for t in Token.objects.order_by("pk")]
    return {
        "businesses": ids("business"), "catalogs": ids("catalog"), "pixels": ids("pixel"), "pages": ids("page"),
        "instagram_accounts": ids("instagram_account"),
        "commerce_merchant_settings": ids("commerce_merchant_settings"),
        "business_details": businesses, "fbe_installs": installs, "tokens": tokens,
        "config": get_config(),
    }


@control("GET")
def state(request, body):
    return state_dict()


@control("POST")
def businesses(request, body):
    with transaction.atomic():
        return services.create_business(
            name=body.get("name") or "Sandbox Business", external_business_id=body.get("external_business_id"),
            with_catalog=body.get("with_catalog", True), with_pixel=body.get("with_pixel", True),
            with_merchant_settings=body.get("with_merchant_settings", True),
            timezone_name=body.get("timezone") or "America/Los_Angeles", currency=body.get("currency") or "USD",
            scopes=body.get("scopes"),
        )


@control("POST")
def business_state(request, body, business_id: str):
    with transaction.atomic():
        return services.set_business_state(business_id, str(body.get("state", "")), scope=body.get("scope"))


# --- tokens ------------------------------------------------------------------------------------


@control("POST")
def tokens(request, body):
    business = _node_or_404(str(body.get("business_id") or ""), "business")
    scopes = body.get("scopes")
    if scopes is not None:
        unknown = [s for s in scopes if s not in auth.KNOWN_SCOPES]
        if unknown:
            raise ControlError(f"unknown scope(s): {', '.join(unknown)}")
    expires_in = body.get("expires_in")
    with transaction.atomic():
        if expires_in:
            user = services.admin_user(business)
            raw, token = auth.mint(kind=Token.Kind.USER, user_id=user.gid, business_id=business.gid, scopes=scopes,
                                   expires_in=int(expires_in))
        else:
            su = services.system_user(business)
            raw, token = auth.mint(kind=Token.Kind.SYSTEM_USER, user_id=su.gid, business_id=business.gid,
                                   scopes=scopes)
    return {"access_token": raw, "kind": token.kind, "scopes": token.scopes,
            "expires_at": token.expires_at.isoformat() if token.expires_at else None}


@control("POST")
def tokens_expire(request, body):
    token = _token_or_404(body)
    token.expires_at = timezone.now()
    token.save(update_fields=["expires_at"])


@control("POST")
def tokens_revoke(request, body):
    token = _token_or_404(body)
    subcode = int(body.get("subcode") or 460)
    if subcode not in (458, 460):
        raise ControlError("subcode must be 458 (app not authorized) or 460 (session invalidated)")
    auth.revoke(token, subcode=subcode)


@control("POST")
def tokens_scopes(request, body):
    token = _token_or_404(body)
    scopes = body.get("scopes")
    if not isinstance(scopes, list) or any(s not in auth.KNOWN_SCOPES for s in scopes):
        raise ControlError("scopes must be a list of known permissions")
    token.declined = sorted({*token.declined, *(s for s in token.scopes if s not in scopes)} - set(scopes))
    token.scopes = list(scopes)
    token.save(update_fields=["scopes", "declined"])
    return {"scopes": token.scopes, "declined": token.declined}


# --- faults ------------------------------------------------------------------------------------


@control("GET", "POST", "DELETE")
def faults_view(request, body):
    if request.method == "GET":
        return {"data": [f.as_dict() for f in Fault.objects.order_by("pk")]}
    if request.method == "DELETE":
        Fault.objects.all().delete()
        return None
    fault = Fault.objects.create(**faults.validate(body))
    return fault.as_dict()


@control("DELETE")
def fault_detail(request, body, fault_id: int):
    deleted, _ = Fault.objects.filter(pk=fault_id).delete()
    if not deleted:
        raise ControlError(f"no fault {fault_id}", 404)


# --- journal -----------------------------------------------------------------------------------


def journal_rows(*, path: str | None = None, method: str | None = None, status: str | None = None,
                 fault: str | None = None, limit: int = 1000) -> list[RequestLog]:
    """The latest `limit` journal rows matching, newest first."""
    qs = RequestLog.objects.order_by("-pk")
    if method:
        qs = qs.filter(method=method.upper())
    if status:
        qs = qs.filter(status__isnull=True) if status == "none" else qs.filter(status=int(status))
    if fault:
        qs = qs.filter(fault=fault)
    if path:
        glob = path.strip("/")
        qs = qs.iterator(chunk_size=500)
        rows = []
        for row in qs:
            if fnmatchcase(row.path, glob):
                rows.append(row)
                if len(rows) >= limit:
                    break
        return rows
    return list(qs[:limit])


@control("GET", "DELETE")
def requests_view(request, body):
    if request.method == "DELETE":
        RequestLog.objects.all().delete()
        return None
    q = request.GET
    rows = journal_rows(path=q.get("path"), method=q.get("method"), status=q.get("status"), fault=q.get("fault"),
                        limit=int(q.get("limit") or 1000))
    return {"data": [row.as_dict() for row in reversed(rows)]}


# --- config ------------------------------------------------------------------------------------


@control("GET", "POST")
def config_view(request, body):
    if request.method == "GET":
        return get_config()
    return update_config(body)


# --- objects -----------------------------------------------------------------------------------


def node_dict(node: Node) -> dict:
    return {"id": node.gid, "type": node.type, "business_id": node.business_id or None,
            "parent_id": node.parent_id or None, "key": node.key or None, "data": node.data, "deleted": node.deleted,
            "created": node.created.isoformat(), "updated": node.updated.isoformat()}


@control("POST")
def objects_create(request, body):
    """Create any node: {"type", "business_id", "parent_id", "key", "data"} (for seeding and for
    endpoint modules' tests)."""
    type_name = str(body.get("type") or "")
    if not type_name:
        raise ControlError("type is required")
    data = body.get("data") or {}
    if not isinstance(data, dict):
        raise ControlError("data must be a JSON object")
    business_id = str(body.get("business_id") or "")
    if business_id:
        _node_or_404(business_id, "business")
    node = services.new_node(type_name, business_id=business_id, parent_id=str(body.get("parent_id") or ""),
                             key=str(body.get("key") or ""), **data)
    return node_dict(node)


@control("GET", "POST", "DELETE")
def object_view(request, body, object_id: str):
    node = _node_or_404(object_id)
    if request.method == "POST":
        node.data.update(body)
        node.save(update_fields=["data", "updated"])
    elif request.method == "DELETE":
        node.deleted = True
        node.save(update_fields=["deleted", "updated"])
    return node_dict(node)


# --- webhooks ----------------------------------------------------------------------------------


@control("GET")
def webhooks_view(request, body):
    events = WebhookEvent.objects.order_by("pk").prefetch_related("attempt_set")
    status = request.GET.get("status")
    if status:
        events = events.filter(status=status)
    return {"data": [webhooks.event_dict(e, with_attempts=True) for e in events]}


@control("POST")
def webhooks_send(request, body):
    obj = body.get("object")
    entries = body.get("entry")
    if not obj or not isinstance(entries, list) or not entries:
        raise ControlError('send {"object": "...", "entry": [...]} (a non-empty list)')
    event = webhooks.enqueue(str(obj), entries, field=str(body.get("field") or ""),
                             callback_url=str(body.get("callback_url") or ""))
    return webhooks.event_dict(event)


@control("POST")
def webhooks_fbe_install(request, body):
    """Queue an fbe_install webhook for a business's install: action "install" (with a fresh
    system-user token) or "uninstall" (which also uninstalls)."""
    external_id = body.get("external_business_id")
    action = body.get("action", "install")
    if action not in ("install", "uninstall"):
        raise ControlError("action must be install or uninstall")
    with transaction.atomic():
        install = services.active_install(str(external_id or ""))
        if action == "uninstall":
            if install is None:
                raise ControlError(f"no active install for {external_id}", 404)
            services.uninstall(install)
        else:
            business = services.find_business(str(external_id or ""))
            if business is None:
                raise ControlError(f"no business with external_business_id {external_id}", 404)
            install, _ = services.install_fbe(business, external_business_id=str(external_id),
                                              scopes=install.data.get("scopes") if install else None)
    return webhooks.event_dict(WebhookEvent.objects.order_by("-pk").first())


@control("POST")
def webhooks_flush(request, body):
    return webhooks.deliver_pending(callback_url=body.get("callback_url") or None)


@control("POST")
def webhooks_verify(request, body):
    url = body.get("callback_url") or webhooks.default_callback_url()
    attempt = webhooks.verify(url)
    return attempt.as_dict()

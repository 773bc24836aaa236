"""The control API (`/graph-sandbox/_control/...`): JSON in, JSON out, sandbox only.

It is the server side of `meta_sandbox/testing.py:SandboxControl`; docs/sandbox.md lists
every call with a curl example. Each view parses the request and calls one control action
(`meta_sandbox/actions/`, the same functions the console and the facade use). Errors answer
`{"error": "<message>"}` with 400 or 404.
"""

from __future__ import annotations

import json
from functools import wraps

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from .actions import ControlError, faults, journal, tokens, webhooks, world

__all__ = ["ControlError", "control"]


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


# --- state -------------------------------------------------------------------------------------


@control("POST")
def reset(request, body):
    world.reset()


@control("GET")
def state(request, body):
    return world.state()


@control("POST")
def businesses(request, body):
    return world.create_business(
        name=body.get("name") or "Sandbox Business", external_business_id=body.get("external_business_id"),
        with_catalog=body.get("with_catalog", True), with_pixel=body.get("with_pixel", True),
        with_merchant_settings=body.get("with_merchant_settings", True),
        timezone_name=body.get("timezone") or "America/Los_Angeles", currency=body.get("currency") or "USD",
        scopes=body.get("scopes"),
    )


@control("POST")
def business_state(request, body, business_id: str):
    return world.set_business_state(business_id, str(body.get("state", "")), scope=body.get("scope"))


# --- tokens ------------------------------------------------------------------------------------


@control("POST")
def tokens_view(request, body):
    return tokens.mint_token(str(body.get("business_id") or ""), scopes=body.get("scopes"),
                             expires_in=body.get("expires_in"))


@control("POST")
def tokens_expire(request, body):
    tokens.expire_token(body.get("access_token") or "")


@control("POST")
def tokens_revoke(request, body):
    tokens.revoke_token(body.get("access_token") or "", subcode=body.get("subcode"))


@control("POST")
def tokens_scopes(request, body):
    return tokens.set_token_scopes(body.get("access_token") or "", body.get("scopes"))


# --- faults ------------------------------------------------------------------------------------


@control("GET", "POST", "DELETE")
def faults_view(request, body):
    if request.method == "GET":
        return {"data": faults.faults()}
    if request.method == "DELETE":
        faults.clear_faults()
        return None
    return faults.arm_fault(body)


@control("DELETE")
def fault_detail(request, body, fault_id: int):
    faults.delete_fault(fault_id)


# --- journal -----------------------------------------------------------------------------------


@control("GET", "DELETE")
def requests_view(request, body):
    if request.method == "DELETE":
        journal.clear_requests()
        return None
    q = request.GET
    return {"data": journal.requests(path=q.get("path"), method=q.get("method"), status=q.get("status"),
                                     fault=q.get("fault"), limit=int(q.get("limit") or 1000))}


# --- config ------------------------------------------------------------------------------------


@control("GET", "POST")
def config_view(request, body):
    if request.method == "GET":
        return world.config()
    return world.update_config(body)


# --- objects -----------------------------------------------------------------------------------


@control("POST")
def objects_create(request, body):
    """Create any node: {"type", "business_id", "parent_id", "key", "data"} (for seeding and for
    endpoint modules' tests)."""
    return world.create_object(type=str(body.get("type") or ""), business_id=str(body.get("business_id") or ""),
                               parent_id=str(body.get("parent_id") or ""), key=str(body.get("key") or ""),
                               data=body.get("data"))


@control("GET", "POST", "DELETE")
def object_view(request, body, object_id: str):
    if request.method == "POST":
        return world.update_object(object_id, body)
    if request.method == "DELETE":
        return world.delete_object(object_id)
    return world.object_state(object_id)


# --- webhooks ----------------------------------------------------------------------------------


@control("GET")
def webhooks_view(request, body):
    return {"data": webhooks.webhooks(status=request.GET.get("status"))}


@control("POST")
def webhooks_send(request, body):
    return webhooks.send_webhook(body.get("object"), body.get("entry"), field=str(body.get("field") or ""),
                                 callback_url=str(body.get("callback_url") or ""))


@control("POST")
def webhooks_fbe_install(request, body):
    """Queue an fbe_install webhook for a business's install: action "install" (with a fresh
    system-user token) or "uninstall" (which also uninstalls)."""
    return webhooks.fbe_install_webhook(body.get("external_business_id"), action=body.get("action", "install"))


@control("POST")
def webhooks_flush(request, body):
    return webhooks.flush_webhooks(callback_url=body.get("callback_url") or None)


@control("POST")
def webhooks_verify(request, body):
    return webhooks.verify_webhooks(callback_url=body.get("callback_url") or None)

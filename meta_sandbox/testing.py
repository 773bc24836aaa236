"""A small client for the sandbox's control API (`/graph-sandbox/_control/...`).

Tests, benchmarks and the demo seeder use it to set the sandbox up and look at what it
received. It speaks plain HTTP with `requests`, like any outside script would.

The server side of each call lives in `meta_sandbox/` (see docs/sandbox.md).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from html import unescape

import requests


class SandboxControlError(RuntimeError):
    pass


@dataclass
class SandboxControl:
    #: e.g. "http://127.0.0.1:8000/graph-sandbox" (no trailing slash)
    base_url: str
    session: requests.Session | None = None

    def __post_init__(self):
        self.base_url = self.base_url.rstrip("/")
        self.session = self.session or requests.Session()

    def _call(self, method: str, path: str, **kwargs):
        response = self.session.request(method, f"{self.base_url}/_control/{path}", timeout=30, **kwargs)
        if response.status_code >= 400:
            raise SandboxControlError(f"{method} {path}: {response.status_code} {response.text[:500]}")
        return response.json() if response.content else None

    # --- state -------------------------------------------------------------------------
    def reset(self) -> None:
        """Forget every object, token, fault and journal row (and webhooks and switches)."""
        self._call("POST", "reset")

    def state(self) -> dict:
        """Ids of businesses, catalogs, pixels, pages, Instagram accounts and merchant settings."""
        return self._call("GET", "state")

    def create_business(self, *, name: str = "Sandbox Business", external_business_id: str | None = None,
                        with_catalog: bool = True, with_merchant_settings: bool = True, with_pixel: bool = True) -> dict:
        """Create a business with its page, Instagram account, catalog, pixel and commerce merchant
        settings and (when external_business_id is given) an FBE install for it.

        Returns {"business_id", "page_id", "instagram_profile_id", "catalog_id", "pixel_id",
        "commerce_merchant_settings_id", "access_token"} (a valid system-user token), plus
        "fbe_install_id", "user_id" (the business admin) and "system_user_id".
        """
        return self._call("POST", "businesses", json={
            "name": name, "external_business_id": external_business_id, "with_catalog": with_catalog,
            "with_merchant_settings": with_merchant_settings, "with_pixel": with_pixel,
        })

    def mint_token(self, business_id: str, *, scopes: list[str] | None = None, expires_in: int | None = None) -> str:
        """A valid access token for the business (system-user type unless expires_in is set)."""
        body = {"business_id": business_id, "scopes": scopes, "expires_in": expires_in}
        return self._call("POST", "tokens", json=body)["access_token"]

    def expire_token(self, token: str) -> None:
        self._call("POST", "tokens/expire", json={"access_token": token})

    def revoke_token(self, token: str, *, subcode: int = 460) -> None:
        """Revoke a token: later calls get 190/460 (session invalidated), or 190/458 (app not
        authorized, what an uninstall does) with subcode=458."""
        self._call("POST", "tokens/revoke", json={"access_token": token, "subcode": subcode})

    def set_token_scopes(self, token: str, scopes: list[str]) -> dict:
        """Replace a token's granted permissions (the others show as declined)."""
        return self._call("POST", "tokens/scopes", json={"access_token": token, "scopes": scopes})

    def set_business_state(self, business_id: str, state: str, *, scope: str | None = None) -> dict:
        """Put a business into a state an onboarding health check must notice: "token_expired",
        "token_revoked", "permission_missing" (scope, default catalog_management),
        "setup_incomplete", "merchant_disabled" (EXTERNALLY_DISABLED + review rejection),
        "no_catalog", or back to "healthy"."""
        return self._call("POST", f"businesses/{business_id}/state", json={"state": state, "scope": scope})

    def create_object(self, type: str, *, business_id: str | None = None, parent_id: str | None = None,
                      key: str | None = None, **data) -> dict:
        """Create any node (e.g. create_object("page", business_id=b, parent_id=b, name="Second page")).
        Returns it as stored, with its Graph "id"."""
        return self._call("POST", "objects", json={"type": type, "business_id": business_id, "parent_id": parent_id,
                                                   "key": key, "data": data})

    def get_object(self, object_id: str) -> dict:
        """A node as stored: {"id", "type", "business_id", "parent_id", "key", "data", "deleted", ...}."""
        return self._call("GET", f"objects/{object_id}")

    def patch_object(self, object_id: str, **fields) -> dict:
        """Merge `fields` into a node's stored fields (e.g. merchant_status="EXTERNALLY_DISABLED")."""
        return self._call("POST", f"objects/{object_id}", json=fields)

    def delete_object(self, object_id: str) -> dict:
        return self._call("DELETE", f"objects/{object_id}")

    # --- switches ------------------------------------------------------------------------
    def config(self) -> dict:
        return self._call("GET", "config")

    def set_config(self, **patch) -> dict:
        """Merge switches, e.g. set_config(dialog={"decline_scopes": ["catalog_management"]})."""
        return self._call("POST", "config", json=patch)

    def require_appsecret_proof(self, required: bool = True) -> None:
        self.set_config(require_appsecret_proof=required)

    def set_usage_budget(self, *, calls: int, buc_type: str | None = None, business_id: str | None = None,
                         window_seconds: int | None = None) -> dict:
        """Budget per window: the app's (buc_type None) or a BUC type's, for every business or one."""
        usage: dict = {}
        if window_seconds is not None:
            usage["window_seconds"] = window_seconds
        if buc_type is None:
            usage["app_calls"] = calls
        elif business_id is None:
            usage["buc_calls"] = {buc_type: calls}
        else:
            usage["business_calls"] = {business_id: {buc_type: calls}}
        return self.set_config(usage=usage)

    def decline_scopes(self, scopes: list[str]) -> dict:
        """Make the consent page grant fewer scopes than asked ("permission missing")."""
        return self.set_config(dialog={"decline_scopes": scopes})

    # --- OAuth / FBE dialog --------------------------------------------------------------
    def consent(self, dialog_url: str, *, action: str = "continue") -> str:
        """Play the person in the dialog: open `dialog_url`, press Continue (or Cancel) and
        return the URL the dialog redirects to (redirect_uri?code=...&state=...)."""
        page = self.session.get(dialog_url, timeout=30, allow_redirects=False)
        if page.status_code != 200:
            raise SandboxControlError(f"dialog: {page.status_code} {page.text[:500]}")
        match = re.search(r'name="request" value="([^"]+)"', page.text)
        if not match:
            raise SandboxControlError("dialog: no consent form on the page")
        answer = self.session.post(page.url, data={"request": unescape(match.group(1)),
                                   "action": action}, timeout=30, allow_redirects=False)
        if answer.status_code != 302:
            raise SandboxControlError(f"dialog answer: {answer.status_code} {answer.text[:500]}")
        return answer.headers["Location"]

    # --- webhooks ------------------------------------------------------------------------
    def webhooks(self, *, status: str | None = None) -> list[dict]:
        """The outbox, oldest first: [{"id", "object", "field", "status", "attempts", "body",
        "payload", "signature", "delivery_attempts", ...}]."""
        return self._call("GET", "webhooks", params={"status": status} if status else None)["data"]

    def send_webhook(self, *, object: str, entry: list[dict], field: str = "",
                     callback_url: str | None = None) -> dict:
        """Queue a webhook `{"object", "entry"}` (delivered by flush_webhooks)."""
        return self._call("POST", "webhooks/send", json={"object": object, "entry": entry, "field": field,
                                                        "callback_url": callback_url})

    def emit_fbe_install(self, external_business_id: str, *, action: str = "install") -> dict:
        """Queue an fbe_install webhook: "install" (re-installs, with a fresh system-user token)
        or "uninstall" (uninstalls; the value has no access_token)."""
        return self._call("POST", "webhooks/fbe_install",
                          json={"external_business_id": external_business_id, "action": action})

    def flush_webhooks(self, *, callback_url: str | None = None) -> dict:
        """Deliver every pending webhook now (handshake first for a new callback URL).
        Returns {"delivered", "failed", "data": [events]}."""
        return self._call("POST", "webhooks/flush", json={"callback_url": callback_url})

    def verify_webhooks(self, *, callback_url: str | None = None) -> dict:
        """Run the hub.challenge handshake against the callback; returns the attempt."""
        return self._call("POST", "webhooks/verify", json={"callback_url": callback_url})

    # --- faults --------------------------------------------------------------------------
    def add_fault(self, *, path: str, method: str = "*", kind: str = "error", count: int | None = 1,
                  probability: float | None = None, **params) -> dict:
        """Inject a fault on calls whose method and Graph path (without the version, e.g.
        "me" or "*/items_batch"; glob syntax) match.

        kind: "error" (params: code, error_subcode, is_transient, http_status, message,
        error_user_msg), "throttle" (params: code, default 80014 for batch paths else 4;
        estimated_time_to_regain_access in minutes), "latency" (params: ms),
        "hang" (params: seconds, default 30: wait that long, longer than the client's timeout,
        then close the connection; the call is not applied), "drop" (close the connection at
        once without an answer; not applied), "malformed" (the call is applied, the body is not
        JSON), "truncated" (the call is applied, the JSON body is cut short), "after_apply"
        (apply the write, then hang for `seconds` (then="hang", default) or drop the connection
        (then="drop"): the client fails although the sandbox applied it).
        count: apply to the next N matching calls (None = until cleared); probability: 0..1.
        Returns the fault as stored, with its "id".
        """
        return self._call("POST", "faults", json={"path": path, "method": method, "kind": kind,
                                                  "count": count, "probability": probability, **params})

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")

    def faults(self) -> list[dict]:
        return self._call("GET", "faults")["data"]

    # --- journal -------------------------------------------------------------------------
    def requests(self, *, path: str | None = None, method: str | None = None) -> list[dict]:
        """What the sandbox received, oldest first: [{"id", "method", "path", "version",
        "params" (secrets masked), "status", "fault", "created"}]. `path` is a glob on the
        unversioned Graph path."""
        query = {k: v for k, v in {"path": path, "method": method}.items() if v}
        return self._call("GET", "requests", params=query)["data"]

    def clear_requests(self) -> None:
        """Empty the journal (which also resets the usage counts)."""
        self._call("DELETE", "requests")


# --- raw Graph calls (contract tests) ------------------------------------------------------

VERSION = "v26.0"


def proof(token: str) -> str:
    from django.conf import settings

    return hmac.new(settings.META_APP_SECRET.encode(), token.encode(), hashlib.sha256).hexdigest()


class GraphCaller:
    """Calls the sandbox like any HTTP client would: `g.get("me", token=t, fields="id,name")`."""

    def __init__(self, base: str):
        self.base = base
        self.session = requests.Session()

    def url(self, path: str, version: str | None = VERSION) -> str:
        return f"{self.base}/{version}/{path}" if version else f"{self.base}/{path}"

    def call(self, verb: str, path: str, *, token: str | None = None, with_proof: bool = True,
             version: str | None = VERSION, bearer: bool = False, json_body: dict | None = None,
             timeout: float = 10, **params) -> requests.Response:
        params = dict(params)
        headers = {}
        if token:
            if bearer:
                headers["Authorization"] = f"Bearer {token}"
            else:
                params["access_token"] = token
            if with_proof and "|" not in token:
                params.setdefault("appsecret_proof", proof(token))
        if verb == "GET":
            return self.session.get(self.url(path, version), params=params, headers=headers, timeout=timeout)
        if json_body is not None:
            return self.session.request(verb, self.url(path, version), params=params, json=json_body,
                                        headers=headers, timeout=timeout)
        return self.session.request(verb, self.url(path, version), data=params, headers=headers, timeout=timeout)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)

    def post(self, path, **kw):
        return self.call("POST", path, **kw)

    def delete(self, path, **kw):
        return self.call("DELETE", path, **kw)

"""A small client for the sandbox's control API (`/graph-sandbox/_control/...`).

Tests, benchmarks and the demo seeder use it to set the sandbox up and look at what it
received. It speaks plain HTTP with `requests`, like any outside script would.

The server side of each call lives in `graph/sandbox/` (see docs/sandbox.md).
"""

from __future__ import annotations

from dataclasses import dataclass

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
        """Forget every object, token, fault and journal row."""
        self._call("POST", "reset")

    def state(self) -> dict:
        """Ids of businesses, catalogs, pixels, pages, Instagram accounts and merchant settings."""
        return self._call("GET", "state")

    def create_business(self, *, name: str = "Sandbox Business", external_business_id: str | None = None,
                        with_catalog: bool = True, with_merchant_settings: bool = True, with_pixel: bool = True) -> dict:
        """Create a business with its page, Instagram account, catalog, pixel and commerce merchant
        settings and (when external_business_id is given) an FBE install for it.

        Returns {"business_id", "page_id", "instagram_profile_id", "catalog_id", "pixel_id",
        "commerce_merchant_settings_id", "access_token"} (a valid system-user token).
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

    def revoke_token(self, token: str) -> None:
        self._call("POST", "tokens/revoke", json={"access_token": token})

    # --- faults --------------------------------------------------------------------------
    def add_fault(self, *, path: str, method: str = "*", kind: str = "error", count: int | None = 1,
                  probability: float | None = None, **params) -> dict:
        """Inject a fault on calls whose method and Graph path (without the version, e.g.
        "me" or "*/items_batch"; glob syntax) match.

        kind: "error" (params: code, error_subcode, is_transient, http_status, message,
        error_user_msg), "throttle" (params: code, default 80014 for batch paths else 4;
        estimated_time_to_regain_access in minutes), "latency" (params: ms),
        "hang" (params: seconds: sleep before answering, longer than the client's timeout),
        "drop" (close the connection without an answer), "malformed" (invalid JSON body),
        "truncated" (a JSON body cut short), "after_apply" (apply the write, then hang:
        the client times out although the sandbox applied it).
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

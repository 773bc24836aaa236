"""Typed convenience calls: ``me``, ``permissions``, ``debug_token``, the OAuth code exchange, FBE installs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graph.client.results import AccessToken, FbeInstall, TokenInfo, _SecretStr, _timestamp


class Endpoints:
    """Graph endpoints with typed answers, for ``GraphClient`` (they call its verbs)."""

    app_id: str
    _app_secret: str
    get: Any
    delete: Any

    def me(self, fields: str | list | tuple = ("id", "name")) -> dict:
        return self.get("me", fields=fields)

    def permissions(self) -> TokenInfo:
        """What the client's own token may do: ``GET /me/permissions``, Meta's User permissions edge
        ("Returns a list of granted and declined permissions",
        https://developers.facebook.com/docs/graph-api/reference/user/permissions/), for a person's or
        a system user's token. The token goes in the Authorization header like on every call, so it
        never appears in a URL; an answer at all means Meta accepts the token (a dead one is a 190,
        raised as ``TokenInvalid``), and ``appsecret_proof`` ties it to our app.

        The portal uses this instead of ``debug_token``: Meta documents ``debug_token`` only as
        ``GET /debug_token?input_token={input-token}``
        (https://developers.facebook.com/docs/graph-api/reference/debug_token), i.e. the inspected
        token in the query string, which access logs and proxies keep (docs/architecture.md).
        ``expires_at`` is not known here (None); the FBE system-user token does not expire.
        """
        data = self.get("me/permissions") or {}
        rows = [r for r in (data.get("data") or []) if isinstance(r, Mapping) and r.get("permission")]
        return TokenInfo(
            is_valid=True,
            scopes=[str(r["permission"]) for r in rows if r.get("status") == "granted"],
            declined=[str(r["permission"]) for r in rows if r.get("status") in ("declined", "expired")],
            raw=dict(data) if isinstance(data, Mapping) else {},
        )

    def debug_token(self, input_token: str) -> TokenInfo:
        """Inspect a token; call it with the app client (``app_id|app_secret``).

        Not used by the portal: Meta documents the inspected token only as a query parameter
        (``input_token``), so it would sit in access logs; see ``permissions``."""
        data = (self.get("debug_token", {"input_token": input_token}) or {}).get("data") or {}
        return TokenInfo(
            is_valid=bool(data.get("is_valid")),
            app_id=str(data.get("app_id") or ""),
            type=str(data.get("type") or ""),
            application=str(data.get("application") or ""),
            user_id=str(data.get("user_id") or ""),
            expires_at=_timestamp(data.get("expires_at")),
            data_access_expires_at=_timestamp(data.get("data_access_expires_at")),
            scopes=[str(s) for s in data.get("scopes") or []],
            error=dict(data.get("error") or {}),
            raw=dict(data),
        )

    def exchange_code(self, code: str, redirect_uri: str) -> AccessToken:
        """Trade an OAuth ``code`` for an access token. Never retried: a code works once."""
        data = self.get(
            "oauth/access_token",
            {"client_id": self.app_id, "client_secret": self._app_secret, "redirect_uri": redirect_uri, "code": code},
            retry=False,
        )
        expires_in = data.get("expires_in")
        return AccessToken(
            access_token=_SecretStr(data.get("access_token") or ""),
            token_type=str(data.get("token_type") or ""),
            expires_in=int(expires_in) if str(expires_in or "").isdigit() else None,
        )

    def get_fbe_installs(self, external_business_id: str) -> list[FbeInstall]:
        data = self.get("fbe_business/fbe_installs", {"fbe_external_business_id": external_business_id})
        return [FbeInstall.from_graph(item) for item in (data or {}).get("data") or [] if isinstance(item, Mapping)]

    def delete_fbe_installs(self, external_business_id: str) -> bool:
        data = self.delete("fbe_business/fbe_installs", {"fbe_external_business_id": external_business_id})
        return bool(isinstance(data, Mapping) and data.get("success"))

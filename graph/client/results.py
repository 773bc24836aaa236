"""The values hooks receive (``CallRecord``) and typed calls return (token, FBE install)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from graph.errors import GraphError


@dataclass(frozen=True)
class CallRecord:
    """One call attempt, for the journal. Holds no secret: params are masked, path unversioned."""

    method: str
    path: str
    version: str
    params: dict
    attempt: int
    status: int | None
    duration_ms: int
    error: GraphError | None = None
    fbtrace_id: str = ""

    @property
    def is_retry(self) -> bool:
        return self.attempt > 1


@dataclass(frozen=True)
class TokenInfo:
    """``GET /debug_token`` → ``data``."""

    is_valid: bool
    app_id: str = ""
    type: str = ""
    application: str = ""
    user_id: str = ""
    expires_at: datetime | None = None
    data_access_expires_at: datetime | None = None
    scopes: list[str] = field(default_factory=list)
    error: dict = field(default_factory=dict)
    raw: dict = field(default_factory=dict, repr=False)
    #: permissions the person declined (``/me/permissions`` says so; ``debug_token`` does not)
    declined: list[str] = field(default_factory=list)


class _SecretStr(str):
    def __repr__(self) -> str:
        return "'***'"


@dataclass(frozen=True)
class AccessToken:
    """``GET /oauth/access_token`` → a token; its repr never shows the value."""

    access_token: str = field(repr=False)
    token_type: str = ""
    expires_in: int | None = None


@dataclass(frozen=True)
class FbeInstall:
    """One entry of ``GET /fbe_business/fbe_installs``."""

    business_manager_id: str = ""
    catalog_id: str = ""
    pixel_id: str = ""
    commerce_merchant_settings_id: str = ""
    pages: list[str] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)
    instagram_profiles: list[str] = field(default_factory=list)
    ad_account_id: str = ""
    token_type: str = ""
    onsite_eligible: bool = False
    commerce_partner_integration_id: str = ""
    installed_features: list[dict] = field(default_factory=list)
    raw: dict = field(default_factory=dict, repr=False)

    @property
    def page_id(self) -> str:
        return self.pages[0] if self.pages else ""

    @property
    def feature_types(self) -> list[str]:
        return [f.get("feature_type", "") for f in self.installed_features if isinstance(f, Mapping)]

    @classmethod
    def from_graph(cls, data: Mapping) -> FbeInstall:
        features = [f for f in data.get("installed_features") or [] if isinstance(f, Mapping)]
        pixel_id = str(data.get("pixel_id") or "")
        # The top-level pixel_id can be stale; the pixel feature's asset is the current one.
        for feature in features:
            if feature.get("feature_type") == "pixel":
                pixel_id = str((feature.get("connected_assets") or {}).get("pixel_id") or pixel_id)
        ad_account = str(data.get("ad_account_id") or "")
        return cls(
            business_manager_id=str(data.get("business_manager_id") or ""),
            catalog_id=str(data.get("catalog_id") or ""),
            pixel_id=pixel_id,
            commerce_merchant_settings_id=str(data.get("commerce_merchant_settings_id") or ""),
            pages=[str(p) for p in data.get("pages") or []],
            profiles=[str(p) for p in data.get("profiles") or []],
            instagram_profiles=[str(p) for p in data.get("instagram_profiles") or []],
            ad_account_id="" if ad_account == "0" else ad_account,
            token_type=str(data.get("token_type") or ""),
            onsite_eligible=bool(data.get("onsite_eligible")),
            commerce_partner_integration_id=str(data.get("commerce_partner_integration_id") or ""),
            installed_features=[dict(f) for f in features],
            raw=dict(data),
        )


def _timestamp(value: Any) -> datetime | None:
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return None
    # Meta uses 0 for "never expires".
    return datetime.fromtimestamp(seconds, tz=UTC) if seconds > 0 else None

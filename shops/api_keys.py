"""Storefront API keys: made and revoked by the shop's owner or managers (audited), only a
SHA-256 hash stored, the key itself shown once. A key reads `sp_<prefix>_<secret>`: the prefix
(shown in lists) names the key, the secret (32 random bytes) proves it; keys are high-entropy
random, so a plain hash is enough to check them and useless to an attacker who reads the table."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from shops import audit
from shops.models import ApiKey

#: last_used_at is written at most this often per key, to spare a write per request
TOUCH_EVERY = timedelta(minutes=1)


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_key(shop, *, name: str, actor=None) -> tuple[ApiKey, str]:
    """A new key; returns (key row, the key itself: shown once, never stored)."""
    for _attempt in range(5):  # a prefix already taken (one in 2^48): draw again
        prefix = secrets.token_hex(6)
        if not ApiKey.objects.filter(prefix=prefix).exists():
            break
    raw = f"sp_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey.objects.create(shop=shop, name=name.strip()[:60], prefix=prefix, key_hash=_hash(raw),
                                created_by=actor if getattr(actor, "pk", None) else None)
    audit.record(shop, actor, "api_key.create", target=key, summary=f"{key.name} ({prefix})")
    return key, raw


@transaction.atomic
def revoke_key(shop, key_id: int, *, actor=None) -> ApiKey:
    key = ApiKey.objects.select_for_update().get(shop=shop, pk=key_id)
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit.record(shop, actor, "api_key.revoke", target=key, summary=f"{key.name} ({key.prefix})")
    return key


def authenticate(raw: str) -> ApiKey | None:
    """The active key `raw` is, or None (unknown, malformed or revoked)."""
    parts = (raw or "").strip().split("_")
    if len(parts) < 3 or parts[0] != "sp":
        return None
    key = ApiKey.objects.select_related("shop").filter(prefix=parts[1], revoked_at__isnull=True).first()
    if key is None or not hmac.compare_digest(key.key_hash, _hash(raw.strip())):
        return None
    now = timezone.now()
    if key.last_used_at is None or now - key.last_used_at > TOUCH_EVERY:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key

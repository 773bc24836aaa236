"""What every order model shares: sync states, who made a change, and our ids and keys."""

from __future__ import annotations

import secrets
import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_reference() -> str:
    """Our merchant order reference: unique, immutable, readable aloud (no 0/O, 1/I/L)."""
    return "SP-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(12))


def new_key() -> str:
    return str(uuid.uuid4())


class SyncState(models.TextChoices):
    PENDING = "pending", _("Waiting to sync")
    SYNCED = "synced", _("Synced to Meta")
    FAILED = "failed", _("Failed")
    LOCAL = "local", _("Recorded here only")


class Origin(models.TextChoices):
    SELLER = "seller", _("Seller")
    BUYER = "buyer", _("Buyer")
    META = "meta", _("Meta")

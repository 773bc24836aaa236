"""Helpers for tests that walk the FBE onboarding against the live Graph sandbox.

The portal is driven with Django's test client (in-process); Meta's consent page is the
sandbox's, reached over real HTTP like a browser would; the portal's Graph client calls the
sandbox over HTTP too (settings.GRAPH_BASE_URL, set by the `sandbox` fixture).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import requests
from django.db import connection
from django.urls import reverse

from shops.models import MetaConnection

_REQUEST_FIELD = re.compile(r'name="request"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="request"')


def start_connect(client, shop) -> str:
    """Press Connect in the portal; returns Meta's dialog URL."""
    response = client.post(reverse("shops:connect", args=[shop.pk]))
    assert response.status_code == 302, response
    return response["Location"]


def answer_dialog(dialog_url: str, action: str = "continue") -> str:
    """Open the sandbox's consent page and press Continue or Cancel; returns where Meta sends
    the browser back to (the portal's callback URL with code/error and state)."""
    page = requests.get(dialog_url, timeout=30)
    assert page.status_code == 200, page.text[:500]
    match = _REQUEST_FIELD.search(page.text)
    assert match, "the consent page has no signed request field"
    signed = match.group(1) or match.group(2)
    answer = requests.post(dialog_url, data={"request": signed, "action": action}, allow_redirects=False, timeout=30)
    assert answer.status_code in (302, 303), answer.text[:500]
    return answer.headers["Location"]


def callback_path(location: str) -> str:
    parts = urlsplit(location)
    return f"{parts.path}?{parts.query}"


def query_of(location: str) -> dict:
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def connect(client, shop, *, before_callback=None):
    """The whole trip: Connect, Meta's Continue, back to the portal. Returns the callback's
    response. `before_callback(location)` runs between Meta and the portal (to change Meta's
    state while the seller is on the way back)."""
    location = answer_dialog(start_connect(client, shop))
    if before_callback is not None:
        before_callback(location)
    return client.get(callback_path(location))


def raw_token(shop) -> str:
    conn = MetaConnection.objects.get(shop=shop)
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token FROM shops_metaconnection WHERE id = %s", [conn.pk])
        return cursor.fetchone()[0]


def business_of(sandbox, shop) -> str:
    return MetaConnection.objects.get(shop=shop).business_manager_id

"""Opening one checkout URL the way a buyer's browser would, safely, from a task.

- `requests`, a fresh session per URL (a new buyer: its own cart cookie across the redirects);
- a short timeout per request (CHECKOUT_CHECK_TIMEOUT, 5 s) and a deadline per URL;
- redirects followed by hand, at most `MAX_REDIRECTS`, each hop checked before it is opened:
  an http(s) URL, never from https down to http, and a host that resolves only to public
  addresses (a seller's link must not make our worker fetch our own network: SSRF). Local
  addresses are allowed only where `links.allow_local_urls()` says so (development, tests);
- at most CHECKOUT_CHECK_MAX_BYTES (512 KiB) of the page are read.

The answer is a `Page`: the final status, URL and body text, or the reason it could not be read.
"""

from __future__ import annotations

import ipaddress
import re
import socket
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import requests
from django.conf import settings

from shops.checkout.links import allow_local_urls, is_loopback_host

MAX_REDIRECTS = 5
USER_AGENT = "Mozilla/5.0 (compatible; seller-portal-checkout-check/1.0)"
_CHARSET = re.compile(r"charset=([\w.:-]+)", re.I)


def timeout_seconds() -> float:
    return float(getattr(settings, "CHECKOUT_CHECK_TIMEOUT", 5.0))


def max_bytes() -> int:
    return int(getattr(settings, "CHECKOUT_CHECK_MAX_BYTES", 512 * 1024))


@dataclass
class Page:
    #: the last answer's HTTP status (None when there was no answer)
    status: int | None = None
    final_url: str = ""
    body: str = ""
    truncated: bool = False
    #: "" when the page was read; otherwise a reason code (see shops.checkout.texts.REASONS)
    error: str = ""
    #: the words of the failure, for the reason's %(detail)s / %(target)s blanks
    params: dict | None = None
    redirects: int = 0


class Refused(Exception):
    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code, self.params = code, params


def _check_target(url: str, *, previous: str | None, allow_local: bool) -> None:
    """Refuse a URL we must not open (Refused with the reason)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise Refused("unsafe_redirect" if previous else "unreachable", target=url[:200], detail="not a web address")
    if previous and urlsplit(previous).scheme == "https" and parts.scheme == "http" and not (
            allow_local and is_loopback_host(host)):
        raise Refused("unsafe_redirect", target=url[:200])
    try:
        infos = socket.getaddrinfo(host, parts.port or (443 if parts.scheme == "https" else 80),
                                   type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise Refused("unreachable", detail=f"the name {host} was not found") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if address.is_global:
            continue
        if allow_local and address.is_loopback:
            continue
        raise Refused("unsafe_redirect" if previous else "unsafe_address", target=host, host=host)
    if parts.scheme != "https" and not (allow_local and is_loopback_host(host)):
        raise Refused("unsafe_redirect" if previous else "https_required", target=url[:200])


def _decode(raw: bytes, content_type: str) -> str:
    found = _CHARSET.search(content_type or "")
    try:
        return raw.decode(found.group(1) if found else "utf-8", errors="replace")
    except LookupError:
        return raw.decode("utf-8", errors="replace")


def fetch(url: str, *, session: requests.Session | None = None, allow_local: bool | None = None) -> Page:
    """Open `url` and follow its redirects (see the module docstring). Never raises for what the
    website does: every failure is a `Page` with `error` set."""
    allow_local = allow_local_urls() if allow_local is None else allow_local
    timeout, cap = timeout_seconds(), max_bytes()
    deadline = time.monotonic() + timeout * 3
    own = session is None
    session = session or requests.Session()
    session.trust_env = False  # no proxy or .netrc from the worker's environment
    page = Page()
    current, previous = url, None
    try:
        for hop in range(MAX_REDIRECTS + 1):
            _check_target(current, previous=previous, allow_local=allow_local)
            left = deadline - time.monotonic()
            if left <= 0:
                raise requests.Timeout("deadline")
            response = session.get(current, allow_redirects=False, stream=True, timeout=(min(timeout, left),) * 2,
                                   headers={"User-Agent": USER_AGENT, "Accept": "text/html,*/*;q=0.8"})
            try:
                page.status, page.final_url, page.redirects = response.status_code, current, hop
                location = response.headers.get("Location")
                if response.is_redirect and location:
                    previous, current = current, urljoin(current, location)
                    continue
                chunks, size = [], 0
                for chunk in response.iter_content(16 * 1024):
                    chunks.append(chunk)
                    size += len(chunk)
                    if size >= cap or time.monotonic() > deadline:
                        page.truncated = True
                        break
                page.body = _decode(b"".join(chunks)[:cap], response.headers.get("Content-Type", ""))
                return page
            finally:
                response.close()
        page.error, page.params = "too_many_redirects", {"max": MAX_REDIRECTS}
        return page
    except Refused as exc:
        page.error, page.params = exc.code, exc.params
    except requests.Timeout:
        page.error, page.params = "timeout", {"seconds": f"{timeout:g}"}
    except requests.RequestException as exc:
        page.error, page.params = "unreachable", {"detail": _plain(exc)}
    finally:
        if own:
            session.close()
    return page


def _plain(exc: BaseException) -> str:
    """A short description of a connection failure (no URL: it is shown next to the link)."""
    text = str(exc)
    for marker, words in (("Connection refused", "connection refused"), ("Name or service not known", "name not found"),
                          ("CERTIFICATE_VERIFY_FAILED", "its security certificate is not valid"),
                          ("SSLError", "a secure connection failed"), ("RemoteDisconnected", "the connection was closed"),
                          ("Connection reset", "the connection was reset")):
        if marker in text or marker == type(exc).__name__:
            return words
    return type(exc).__name__

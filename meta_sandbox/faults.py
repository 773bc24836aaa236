"""Injected faults: armed through the control API or the console, matched per call on the
method and the unversioned Graph path (a glob: `me`, `*/items_batch`, `*`).

What the client sees (docs/sandbox.md has the table):
- error / throttle: Meta's envelope with the code, subcode and HTTP status asked for.
- latency: the real answer, `ms` later.
- hang: nothing for `seconds`, then the connection is closed; the call is not applied.
- drop: the connection is closed at once without an answer; the call is not applied.
- malformed / truncated: the call is applied, then the body is replaced by invalid JSON / cut
  in half (Content-Length matches what is sent, so the client fails on JSON decoding).
- after_apply: the call is applied and committed, then the answer hangs for `seconds`
  (`then: "hang"`, default) or the connection is dropped (`then: "drop"`).
"""

from __future__ import annotations

import random
import socket
import time
from fnmatch import fnmatchcase

from django.db.models import F
from django.http import HttpRequest

from . import errors
from .models import Fault, Node

KINDS = tuple(Fault.Kind.values)
PRE_KINDS = {"error", "throttle", "latency", "hang", "drop"}
POST_KINDS = {"malformed", "truncated", "after_apply"}
BATCH_PATHS = ("*/items_batch", "*/localized_items_batch", "*/batch", "fbe_catalog/batch")
MALFORMED_BODY = b"<html><head><title>502 Bad Gateway</title></head><body>upstream error</body></html>"


def validate(data: dict) -> dict:
    """Normalise a fault definition from the control API or the console. Raises ValueError."""
    kind = data.get("kind") or "error"
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    path = str(data.get("path") or "").strip().strip("/")
    if not path:
        raise ValueError("path is required (a glob on the unversioned Graph path, e.g. 'me' or '*/items_batch')")
    method = str(data.get("method") or "*").upper()
    count = data.get("count", 1)
    if count in ("", None):
        count = None
    else:
        count = int(count)
        if count < 1:
            raise ValueError("count must be at least 1 (or null: until cleared)")
    probability = data.get("probability")
    if probability in ("", None):
        probability = None
    else:
        probability = float(probability)
        if not 0 <= probability <= 1:
            raise ValueError("probability must be between 0 and 1")
    params = {k: v for k, v in data.items()
              if k not in ("kind", "path", "method", "count", "probability") and v not in ("", None)}
    for name in ("code", "error_subcode", "http_status", "ms", "estimated_time_to_regain_access"):
        if name in params:
            params[name] = int(params[name])
    if "seconds" in params:
        params["seconds"] = float(params["seconds"])
    if "is_transient" in params and isinstance(params["is_transient"], str):
        params["is_transient"] = params["is_transient"].lower() in ("1", "true", "on", "yes")
    if kind == "after_apply" and params.get("then", "hang") not in ("hang", "drop"):
        raise ValueError("then must be 'hang' or 'drop'")
    return {"kind": kind, "path": path, "method": method, "remaining": count, "probability": probability,
            "params": params}


def pick(method: str, path: str) -> Fault | None:
    """The first armed fault matching this call, claimed (its count decremented)."""
    for fault in Fault.objects.order_by("pk"):
        if fault.method not in ("*", method):
            continue
        if not fnmatchcase(path, fault.path):
            continue
        if fault.probability is not None and random.random() >= fault.probability:
            continue
        if fault.remaining is None:
            Fault.objects.filter(pk=fault.pk).update(hits=F("hits") + 1)
            return fault
        claimed = Fault.objects.filter(pk=fault.pk, remaining__gt=0).update(
            remaining=F("remaining") - 1, hits=F("hits") + 1)
        if claimed:
            Fault.objects.filter(pk=fault.pk, remaining=0).delete()
            return fault
    return None


def error_for(fault: Fault, path: str) -> errors.GraphError:
    """The GraphError an `error` or `throttle` fault answers with."""
    from .usage import saturated_headers

    p = fault.params
    if fault.kind == "throttle":
        default = 80014 if any(fnmatchcase(path, glob) for glob in BATCH_PATHS) else 4
        code = int(p.get("code", default))
        eta = int(p.get("estimated_time_to_regain_access", 1))
        error = errors.throttled(code, headers=saturated_headers(code=code, business_id=business_of(path), eta=eta))
        if "http_status" in p:
            error.status = p["http_status"]
        return error
    code = int(p.get("code", 1))
    transient_default = code in (1, 2, 4, 17, 32, 341, 613) or code >= 80000
    return errors.GraphError(
        p.get("message") or errors.FAULT_MESSAGES.get(code, f"(#{code}) An error occurred"),
        code=code, subcode=p.get("error_subcode"), type=p.get("type", "OAuthException"),
        status=int(p.get("http_status", 500 if code in (1, 2) else 400)),
        is_transient=bool(p.get("is_transient", transient_default)),
        user_title=p.get("error_user_title"), user_msg=p.get("error_user_msg"),
    )


def business_of(path: str) -> str | None:
    head = path.split("/", 1)[0]
    pk = Node.pk_from_gid(head)
    if pk is None:
        return None
    node = Node.objects.filter(pk=pk).only("type", "business_id").first()
    if node is None:
        return None
    return node.business_id or (node.gid if node.type == "business" else None)


def close_connection(request: HttpRequest) -> bool:
    """Close the client's socket without an answer. Works under Django's runserver and
    live_server (wsgiref) and gunicorn; returns False where no socket can be found (e.g. the
    test client), in which case the caller answers 502 instead."""
    sock = request.META.get("gunicorn.socket")
    if sock is None:
        stream = request.META.get("wsgi.input")
        # Django's server wraps the socket file in a LimitedStream that keeps its bound read().
        reader = getattr(getattr(stream, "_read", None), "__self__", None)
        sock = getattr(getattr(reader, "raw", None), "_sock", None)
    if sock is None:
        return False
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    return True


def sleep(seconds: float) -> None:
    time.sleep(max(0.0, seconds))

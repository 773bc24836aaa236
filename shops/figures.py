"""One home for a figure read from Meta by a task and stored with its date: how one part of a
shop's figures is read, kept and dated (ads.figures and metatools.figures use it).

A part is stored as {"state": "ok" | "permission" | "error" | <a part's own "no_..." state>, ...,
"read_at"}: a missing permission names it (pages offer Reconnect, `shops:connect`); any other
refusal keeps the last good figures with the error beside them; a dead token fails the task (the
shop's health check owns that)."""

from __future__ import annotations

from graph.errors import GraphError, PermissionDenied, TokenInvalid


def missing_scopes(needs, granted) -> list[str]:
    """The permissions of `needs` that `granted` (a connection's scopes) lacks."""
    have = set(granted or [])
    return [scope for scope in needs or () if scope not in have]


def guarded(read, previous: dict, now, *, needs=(), granted=None) -> dict:
    """Run `read()` (one part's Graph calls) and return the part to store.

    With `needs` and `granted`, a part whose permissions the connection was not granted is not
    read at all: it says which are missing, as Meta would (codes 10, 200-299)."""
    from shops.health.jobs import reason_of

    if granted is not None and (missing := missing_scopes(needs, granted)):
        return {"state": "permission", "missing": ", ".join(missing), "read_at": now.isoformat()}
    try:
        part = read()
    except TokenInvalid:
        raise
    except PermissionDenied as error:
        named = reason_of(error)[1].get("missing", "")
        missing = named if named and named != "—" else ", ".join(needs or ())
        return {"state": "permission", "missing": missing, "read_at": now.isoformat()}
    except GraphError as error:
        kept = {k: v for k, v in previous.items() if k not in ("state", "error")}
        return {**kept, "state": "error" if not kept else previous.get("state", "error"),
                "error": error.user_message()[:300], "error_at": now.isoformat()}
    except (ArithmeticError, TypeError, ValueError) as error:  # an answer we cannot read exactly
        return {"state": "error", "error": str(error)[:300], "error_at": now.isoformat()}
    return {**part, "read_at": now.isoformat()}


def when(text):
    """A stored ISO time as a datetime (None when absent)."""
    from django.utils.dateparse import parse_datetime

    return parse_datetime(text) if text else None

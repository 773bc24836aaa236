"""Control actions: what the control API, the console and the facade do to the sandbox's world,
as plain functions (values in, plain values out: ids and dicts, never model instances).

One implementation per action. The HTTP control views (`meta_sandbox/control.py`,
`meta_sandbox/controls/`) only parse JSON and call these; the staff console calls them
in-process; `meta_sandbox/facade.py` exposes them to the demo seeders and benchmarks.

Modules: `world` (reset, state, businesses, objects, switches), `tokens`, `faults`, `journal`,
`webhooks`, `buyer` (placing orders), `orders` (the rest of the buyer and Meta as actors),
`catalog`, `offers`.

A refusal raises `ControlError` (its `status` is what the HTTP API answers: 400), an unknown id
`NotFound` (a ControlError and a LookupError: 404); some lower layers also raise `ValueError`
(400) or `LookupError` (404).
"""

from __future__ import annotations


class ControlError(Exception):
    """A control action refused its input; the message says why."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.message = message
        self.status = status


class NotFound(ControlError, LookupError):
    """The id names nothing the action can work on (404)."""

    def __init__(self, message: str):
        super().__init__(message, 404)


def not_found(what: str, ident) -> NotFound:
    return NotFound(f"no {what} {ident}")

"""Constants and helpers shared by the Graph tests."""

from contextlib import contextmanager

from graph import webhooks

#: The client's read timeout in sandbox tests; "hang" and "after_apply" faults sleep HANG seconds,
#: longer than this, so the client gives up first.
READ_TIMEOUT = 0.5
HANG = 1.5


@contextmanager
def swapped_handler(object_: str, field: str, func):
    """Register a webhook handler for the test, then put back whatever was registered before
    (another app's real handler, e.g. shops' fbe_install)."""
    previous = webhooks.handler_for(object_, field)
    webhooks.register(object_, field)(func)
    try:
        yield
    finally:
        if previous is None:
            webhooks.unregister(object_, field)
        else:
            webhooks.register(object_, field)(previous)

"""The error a seller action raises when the order does not allow it (its message is for the seller)."""

from __future__ import annotations


class ActionError(Exception):
    """An action the order does not allow; the message is for the seller."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field

"""Questions the shops app asks of the apps above it, which register an answer (the shops app
never imports them): the same inversion as the issue-card providers.

- `register_money_data(check)`: `check(shop) -> bool` says whether the app holds amounts in the
  shop's currency; the currency is locked once any does.
"""

from __future__ import annotations

from collections.abc import Callable

_MONEY_DATA: list[Callable] = []


def register_money_data(check: Callable) -> Callable:
    if check not in _MONEY_DATA:
        _MONEY_DATA.append(check)
    return check


def has_money_data(shop) -> bool:
    return any(check(shop) for check in _MONEY_DATA)

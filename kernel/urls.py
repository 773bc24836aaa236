"""URLs of many objects of one kind, reversed once: for lists that link every row."""

from __future__ import annotations

from collections.abc import Callable

from django.urls import reverse

#: stands for the last argument while reversing; no id of ours reaches it (kernel.forms.ID_MAX)
_SENTINEL = 9_876_543_210_123_456_789


def url_maker(name: str, *leading) -> Callable[[int], str]:
    """`url_maker("orders:detail", shop.pk)(order.pk)` == `reverse("orders:detail", args=[shop.pk, order.pk])`:
    the URL pattern is reversed once and each row's id put in its place (for a pattern whose last
    argument is an integer path segment)."""
    template = reverse(name, args=[*leading, _SENTINEL])
    marker = f"/{_SENTINEL}/"
    if template.count(marker) != 1:
        return lambda pk: reverse(name, args=[*leading, pk])
    head, tail = template.split(marker)
    return lambda pk: f"{head}/{int(pk)}/{tail}"

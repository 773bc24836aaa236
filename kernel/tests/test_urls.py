"""kernel.urls.url_maker: the same URL as reverse(), the pattern reversed once."""

from __future__ import annotations

from django.urls import reverse

from kernel.urls import url_maker


def test_a_row_url_is_what_reverse_gives():
    detail = url_maker("orders:detail", 12)
    for pk in (1, 7, 120, 9_999_999):
        assert detail(pk) == reverse("orders:detail", args=[12, pk])
    assert url_maker("catalog:product_edit", 3)(45) == reverse("catalog:product_edit", args=[3, 45])

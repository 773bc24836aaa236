"""A GET never writes (docs/architecture.md): the shell's shop pages (the dashboard) write no
row, for a new shop and a connected one."""

from __future__ import annotations


def test_a_get_of_the_shells_shop_pages_writes_no_row(owner, shop_a, gets_write_nothing):
    gets_write_nothing(owner, "", shop_a)


def test_a_get_of_the_shells_shop_pages_of_a_connected_shop_writes_no_row(owner, meta_shop, gets_write_nothing):
    gets_write_nothing(owner, "", meta_shop.shop)


def test_a_get_of_home_writes_no_row(owner, shop_a, writes_of_get):
    response, writes = writes_of_get(owner, "/")
    assert response.status_code == 302 and writes == []

"""A GET never writes (docs/architecture.md): the shell's shop pages (the dashboard) write no
row, for a new shop and a connected one."""

from __future__ import annotations

OK = (200, 302, 405)


def _assert_pages_write_nothing(client, pages, writes_of_get):
    for name, url in pages:
        response, writes = writes_of_get(client, url)
        assert response.status_code in OK, (name, response.status_code)
        assert writes == [], (name, writes)


def test_a_get_of_the_shells_shop_pages_writes_no_row(owner, shop_a, shop_pages, writes_of_get):
    _assert_pages_write_nothing(owner, shop_pages("", shop_a), writes_of_get)


def test_a_get_of_the_shells_shop_pages_of_a_connected_shop_writes_no_row(owner, meta_shop, shop_pages,
                                                                          writes_of_get):
    _assert_pages_write_nothing(owner, shop_pages("", meta_shop.shop), writes_of_get)


def test_a_get_of_home_writes_no_row(owner, shop_a, writes_of_get):
    response, writes = writes_of_get(owner, "/")
    assert response.status_code == 302 and writes == []

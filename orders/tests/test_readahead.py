"""orders.ingest.readahead: items in order, at most two ahead, an error raised where the item
would have come, and a consumer that stops early stops the worker."""

from __future__ import annotations

import threading
import time

import pytest

from orders.ingest.readahead import ReadAhead


def test_items_come_in_order_from_another_thread():
    threads = []

    def produce():
        for n in range(5):
            threads.append(threading.current_thread())
            yield n

    assert list(ReadAhead(produce())) == [0, 1, 2, 3, 4]
    assert threading.current_thread() not in threads


def test_the_worker_reads_at_most_two_items_ahead():
    made = []

    def produce():
        for n in range(10):
            made.append(n)
            yield n

    items = iter(ReadAhead(produce()))
    assert next(items) == 0
    time.sleep(0.3)
    assert len(made) <= 3  # the one taken, one waiting in the queue, one in the worker's hands
    assert list(items) == list(range(1, 10))


def test_an_error_is_raised_where_its_item_would_have_come():
    def produce():
        yield 1
        yield 2
        raise RuntimeError("Meta failed on page 3")

    seen = []
    with pytest.raises(RuntimeError, match="page 3"):
        for item in ReadAhead(produce()):
            seen.append(item)
    assert seen == [1, 2]


def test_leaving_early_stops_the_worker():
    made = []

    def produce():
        for n in range(1000):
            made.append(n)
            yield n

    for item in ReadAhead(produce()):
        if item == 2:
            break
    time.sleep(0.3)
    assert len(made) <= 5
    assert not [t for t in threading.enumerate() if t.name == "orders-read-ahead"]

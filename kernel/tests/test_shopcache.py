"""kernel.shopcache: a shop's summaries read once a minute, read anew after the seller's changes
and after every job run of the shop."""

from __future__ import annotations

import pytest
from django.db import transaction

from kernel import jobs, shopcache


class Counter:
    def __init__(self):
        self.calls = 0

    def __call__(self):
        self.calls += 1
        return {"value": self.calls}


def test_a_summary_is_computed_once_until_the_shop_is_forgotten():
    compute = Counter()
    assert shopcache.remember(1, "figures", compute) == {"value": 1}
    assert shopcache.remember(1, "figures", compute) == {"value": 1}
    assert compute.calls == 1
    shopcache.forget(2)  # another shop's change leaves this one's figures alone
    assert shopcache.remember(1, "figures", compute) == {"value": 1}
    shopcache.forget(1)
    assert shopcache.remember(1, "figures", compute) == {"value": 2}
    assert compute.calls == 2


def test_a_value_read_before_a_forget_is_never_shown_after_it():
    # A reader takes the generation, reads the rows; meanwhile a change commits and forgets the
    # shop; the reader then stores what it read. The next reader must not get that old value.
    before = shopcache.current_generation(7)
    shopcache.forget(7)
    shopcache.store(7, "figures", "read before the change", generation=before)
    assert shopcache.read(7, "figures", "missing") == "missing"
    shopcache.store(7, "figures", "read after the change")
    assert shopcache.read(7, "figures") == "read after the change"


@pytest.mark.django_db(transaction=True)
def test_a_forget_inside_a_transaction_is_repeated_when_it_commits():
    with transaction.atomic():
        shopcache.forget(3)
        # a reader now stores what it read before the commit ...
        shopcache.store(3, "figures", "not yet committed")
        assert shopcache.read(3, "figures") == "not yet committed"
    # ... and the commit starts another generation, so that value is not shown
    assert shopcache.read(3, "figures") is None


@pytest.mark.django_db
def test_every_run_of_a_shops_job_forgets_its_summaries_but_a_skipped_one_does_not(shop_a):
    compute = Counter()
    shopcache.remember(shop_a.pk, "figures", compute)
    with jobs.run_job("test.noop", shop_a.pk):
        pass
    assert shopcache.remember(shop_a.pk, "figures", compute) == {"value": 2}

    with pytest.raises(RuntimeError), jobs.run_job("test.fails", shop_a.pk):
        raise RuntimeError("Meta is down")
    assert shopcache.remember(shop_a.pk, "figures", compute) == {"value": 3}

    held = jobs.claim(f"test.lease:{shop_a.pk}")
    with pytest.raises(jobs.JobSkipped), jobs.run_job("test.busy", shop_a.pk, lease=f"test.lease:{shop_a.pk}"):
        pass
    with jobs.run_job("test.skips", shop_a.pk) as job:
        job.skip("nothing to do")
    held.release()
    assert shopcache.remember(shop_a.pk, "figures", compute) == {"value": 3}

    with jobs.run_job("test.no_shop"):
        pass
    assert shopcache.remember(shop_a.pk, "figures", compute) == {"value": 3}

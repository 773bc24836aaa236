"""django-q2 tasks of the ads app (ids in, never model instances).

- `ads.tasks.send_events(shop_id)`: queued after each event is queued (on commit) and by the
  minute sweep `ads.tasks.send_due_shops`; one worker per shop at a time (a lease).
"""

from __future__ import annotations

from django_q.tasks import async_task

from ads.models import ServerEvent
from kernel.jobs import run_job, task

SEND_JOB = "ads.send_events"


@task
def send_events(shop_id: int) -> dict:
    from ads.capi.sender import send_queued

    with run_job(SEND_JOB, shop_id, lease=f"{SEND_JOB}:{shop_id}", busy="another worker is sending") as job:
        job.counts = send_queued(shop_id)
        return job.counts


def send_due_shops() -> int:
    shop_ids = list(ServerEvent.objects.filter(state=ServerEvent.State.QUEUED)
                    .values_list("shop_id", flat=True).distinct())
    for shop_id in shop_ids:
        async_task("ads.tasks.send_events", shop_id, group=SEND_JOB)
    return len(shop_ids)


def check_pixel(shop_id: int) -> dict:
    from ads import pixel

    with run_job(pixel.CHECK_JOB, shop_id) as job:
        job.counts = pixel.check_pixel(shop_id)
        return job.counts


def check_all_pixels() -> int:
    from shops.models import MetaConnection

    shop_ids = list(MetaConnection.objects.usable().exclude(pixel_id="").values_list("shop_id", flat=True))
    for shop_id in shop_ids:
        async_task("ads.tasks.check_pixel", shop_id, group="ads.check_pixel")
    return len(shop_ids)

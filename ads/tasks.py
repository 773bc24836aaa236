"""django-q2 tasks of the ads app (ids in, never model instances).

- `ads.tasks.send_events(shop_id)`: queued after each event is queued (on commit) and by the
  minute sweep `ads.tasks.send_due_shops`; one worker per shop at a time (a lease).
- `ads.tasks.check_pixel(shop_id)`: the pixel's state, hourly from `check_all_pixels`.
- `ads.tasks.read_figures(shop_id)`: Meta's figures (`ads.figures`), daily: the hourly
  `check_all_pixels` sweep also queues it for shops whose figures are a day old (so the
  timetable in portal/schedules.py needs no entry of its own); "Refresh from Meta" queues it too.
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
    read_due_figures()
    return len(shop_ids)


def read_figures(shop_id: int) -> dict:
    from ads import figures

    with run_job(figures.FIGURES_JOB, shop_id) as job:
        job.counts = figures.read_figures(shop_id)
        return job.counts


def read_due_figures() -> int:
    """Queue `read_figures` for connected shops whose figures were never read or are a day old."""
    from django.db.models import Q
    from django.utils import timezone

    from ads import figures
    from ads.models import AdsSettings
    from shops.models import MetaConnection

    usable = MetaConnection.objects.usable().values_list("shop_id", flat=True)
    stale = timezone.now() - figures.FIGURES_MAX_AGE
    shop_ids = list(AdsSettings.objects.filter(Q(figures_read_at__isnull=True) | Q(figures_read_at__lt=stale),
                                               shop_id__in=usable).values_list("shop_id", flat=True))
    for shop_id in shop_ids:
        async_task("ads.tasks.read_figures", shop_id, group=figures.FIGURES_JOB)
    return len(shop_ids)

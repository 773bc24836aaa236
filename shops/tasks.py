"""django-q2 tasks of the shops app. Each takes ids and runs in `kernel.jobs.run_job` (a recorded
JobRun) holding the shop's connection lease (`lease_key`), so a health check and an uninstall of
the same shop never run at once.

Schedules (portal/schedules.py): `shops.tasks.check_all_shops_health` hourly and
`shops.tasks.check_all_checkout_links` daily; they only fan out.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_q.tasks import async_task

from graph.errors import GraphError, NotFound, TokenInvalid
from kernel.jobs import JobSkipped, run_job, task
from shops.health.reading import apply_assets, read_stored_connection
from shops.health.recording import record
from shops.models import MetaConnection, Shop
from shops.signals import shop_connected

log = logging.getLogger(__name__)

HEALTH_JOB = "shops.health"
UNINSTALL_JOB = "shops.uninstall"
CHECKOUT_JOB = "shops.checkout"
LEASE_SECONDS = 300


def lease_key(shop_id: int) -> str:
    """The lease on a shop's Meta connection held by its background tasks."""
    return f"shops.connection:{shop_id}"


def check_all_shops_health() -> int:
    """Hourly: one health task per shop that has a token (connected or needing a reconnect),
    and a retry of every disconnect Meta has not confirmed yet."""
    shop_ids = list(
        MetaConnection.objects.filter(
            Q(status__in=[MetaConnection.Status.CONNECTED, MetaConnection.Status.NEEDS_RECONNECT]),
        ).exclude(access_token="").exclude(uninstall_pending=True).order_by("shop_id").values_list("shop_id", flat=True)
    )
    for shop_id in shop_ids:
        async_task("shops.tasks.check_shop_health", shop_id, group=HEALTH_JOB)
    pending = list(MetaConnection.objects.filter(uninstall_pending=True).values_list("shop_id", flat=True))
    for shop_id in pending:
        async_task("shops.tasks.uninstall_at_meta", shop_id, group=UNINSTALL_JOB)
    return len(shop_ids)


def check_shop_health(shop_id: int, task_id: str = "") -> dict:
    """Read the shop's state at Meta, record checks and issues. Returns the run's counts."""
    with run_job(HEALTH_JOB, shop_id, task_id=task_id) as job:
        conn = MetaConnection.objects.select_related("shop").filter(shop_id=shop_id).first()
        if conn is None or not conn.has_token or conn.status not in (
            MetaConnection.Status.CONNECTED, MetaConnection.Status.NEEDS_RECONNECT
        ):
            job.skip("not connected")
        job.hold(lease_key(shop_id), LEASE_SECONDS, busy="another health check of this shop is running")
        job.counts = _check(conn)
    return job.counts


def _check(conn: MetaConnection) -> dict:
    from shops.graph import client_for_shop

    shop: Shop = conn.shop
    reading = read_stored_connection(shop, conn, client=client_for_shop(shop))
    now = timezone.now()
    with transaction.atomic():
        conn = MetaConnection.objects.select_for_update().get(pk=conn.pk)
        if conn.status not in (MetaConnection.Status.CONNECTED, MetaConnection.Status.NEEDS_RECONNECT):
            raise JobSkipped("disconnected while checking")  # the seller disconnected meanwhile
        token_ok = reading.token_info.is_valid if reading.token_info else None
        update = ["last_error", "status"]
        if token_ok is False:
            conn.status = MetaConnection.Status.NEEDS_RECONNECT
        elif token_ok:
            conn.status = MetaConnection.Status.CONNECTED
            conn.scopes = reading.token_info.scopes
            conn.token_expires_at = reading.token_info.expires_at
            update += ["scopes", "token_expires_at"]
            if reading.error is None:
                conn.last_ok_at = now
                update.append("last_ok_at")
        conn.last_error = str(reading.error)[:2000] if reading.error and not isinstance(reading.error, TokenInvalid) else ""
        catalog_changed = False
        if reading.install is not None:
            # Meta's install is the truth for the asset ids (a seller may pick another catalog at Meta).
            catalog_changed = bool(reading.install.catalog_id) and reading.install.catalog_id != conn.catalog_id
            update += apply_assets(conn, reading.install)
        conn.save(update_fields=update)
        counts = record(conn.shop, conn, reading.checks, reading.cms, now=now)
        if catalog_changed:
            shop_id = conn.shop_id
            transaction.on_commit(lambda: shop_connected.send(sender=Shop, shop_id=shop_id, reconnect=True), robust=True)
            counts["catalog_changed"] = True
    if reading.error is not None and not isinstance(reading.error, TokenInvalid):
        counts["meta_error"] = str(reading.error)[:200]
    return counts


def uninstall_at_meta(shop_id: int, task_id: str = "") -> None:
    """After the seller pressed Disconnect: DELETE the FBE install at Meta, then wipe the token.
    A dead token (or an install Meta no longer has) counts as done; other failures keep the
    request pending for the next attempt (django-q2's retry, then the hourly fan-out)."""
    with run_job(UNINSTALL_JOB, shop_id, task_id=task_id) as job:
        conn = MetaConnection.objects.select_related("shop").filter(shop_id=shop_id, uninstall_pending=True).first()
        if conn is None:
            job.skip("nothing to uninstall")
        job.hold(lease_key(shop_id), LEASE_SECONDS, busy="another task of this shop is running")
        from shops.graph import client_for_shop

        try:
            confirmed = client_for_shop(conn.shop).delete_fbe_installs(conn.shop.external_business_id)
            job.counts = {"confirmed": confirmed}
        except (TokenInvalid, NotFound) as exc:
            # 190 (e.g. 458 "app not authorized": the uninstall revoked the token, when Meta applied
            # an earlier try whose answer was lost) or no install: the disconnect is done.
            job.counts = {"confirmed": False, "note": type(exc).__name__}
        except GraphError:
            raise
        with transaction.atomic():
            conn = MetaConnection.objects.select_for_update().get(pk=conn.pk)
            # A reconnect clears `uninstall_pending`, so a pending one is still the seller's wish. A
            # connection an older build flipped to "needs reconnect" on that 190 is put back.
            if conn.uninstall_pending and conn.status in (MetaConnection.Status.DISCONNECTED,
                                                          MetaConnection.Status.NEEDS_RECONNECT):
                conn.status = MetaConnection.Status.DISCONNECTED
                conn.access_token = ""
                conn.uninstall_pending = False
                conn.save(update_fields=["status", "access_token", "uninstall_pending"])


def refresh_after_install_webhook(shop_id: int, task_id: str = "") -> None:
    """An fbe_install webhook with a token arrived for a connected shop: re-read the truth."""
    check_shop_health(shop_id, task_id=task_id)


def check_all_checkout_links() -> int:
    """Daily: one checkout link check per shop selling through Meta (a usable connection)."""
    shop_ids = list(MetaConnection.objects.usable().order_by("shop_id").values_list("shop_id", flat=True))
    for shop_id in shop_ids:
        async_task("shops.tasks.check_checkout_link", shop_id, group=CHECKOUT_JOB)
    return len(shop_ids)


@task
def check_checkout_link(shop_id: int, task_id: str = "") -> dict | None:
    """Open the shop's checkout link the way Meta does and record what the website showed
    (shops.checkout.check). Talks to the seller's website, never to Meta; one at a time per shop."""
    from shops.checkout.check import check_shop

    with run_job(CHECKOUT_JOB, shop_id, lease=f"{CHECKOUT_JOB}:{shop_id}", task_id=task_id,
                 busy="another check of this shop's checkout link is running") as job:
        if not Shop.objects.filter(pk=shop_id).exists():
            job.skip("no such shop")
        job.counts = check_shop(shop_id)
    return job.counts


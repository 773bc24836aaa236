"""A shop's periodic job that keeps failing becomes a shop issue: the one rule, in one place.

Every recorded run ends with `kernel.jobs.job_finished`. For the jobs watched here (the order
poll, the catalog sync, product diagnostics, the offers sync), per shop:

- a run that failed because Meta refused the shop's connection (a missing permission, a dead
  token) opens the job's issue at once: retrying cannot help, the seller must reconnect;
- any other failure opens it after `failures_before_issue()` (3) failed runs in a row of that job
  (skipped runs do not count either way): one blip is not the seller's problem, three are;
- the next run that succeeds resolves it.

The issue (kind ``job.<key>``) says which feature stopped, why in the seller's words (never the
exception text) and what happens next, with one action: Reconnect for a connection problem,
else the feature's page. Its `params` keep the reason so pages word it in the reader's language.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from graph.errors import GraphError, NotConnected, PermissionDenied, RateLimited, TokenInvalid, Transient
from kernel.models import JobRun
from shops.models import ShopIssue

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Watched:
    key: str
    #: job names of this feature start with this ("catalog.sync_" covers fast, changes, full)
    prefix: str
    feature: str
    url_name: str
    cta_label: str


WATCHED: tuple[Watched, ...] = (
    Watched("orders", "orders.poll", _("Orders from Meta"), "orders:index", _("Open orders")),
    Watched("catalog", "catalog.sync_", _("Catalog sync"), "catalog:sync_history", _("See sync history")),
    Watched("diagnostics", "catalog.diagnostics", _("Product checks from Meta"), "catalog:index", _("Open catalog")),
    Watched("offers", "promotions.offers_sync", _("Discounts sent to Meta"), "promotions:index", _("Open discounts")),
)
BY_KEY = {w.key: w for w in WATCHED}
ISSUE_PREFIX = "job."

#: reason -> (explanation, needs a reconnect)
REASONS = {
    "permission": (_("Meta refused it because the shop's connection lacks a permission (%(missing)s). Reconnect "
                     "and allow every permission Meta asks for; it starts again right after."), True),
    "token": (_("Meta no longer accepts the shop's connection. Reconnect; it starts again right after."), True),
    "rate_limited": (_("Meta asked us to slow down on the last %(failures)s attempts. We keep trying on "
                       "schedule; nothing is lost."), False),
    "unavailable": (_("Meta did not answer the last %(failures)s attempts. We keep trying every few minutes; "
                      "nothing is lost."), False),
    "refused": (_("Meta refused the last %(failures)s attempts: %(detail)s We keep trying on schedule."), False),
    "failed": (_("The last %(failures)s attempts failed on our side. Staff can see what happened; we keep "
                 "trying on schedule."), False),
}
TITLE = _("%(feature)s stopped working")

_PERMISSION = re.compile(r"Requires (?:the )?([a-z_]+(?: or [a-z_]+)*) permission")


def failures_before_issue() -> int:
    return int(getattr(settings, "SHOPS_JOB_FAILURES_BEFORE_ISSUE", 3))


def watched(job: str) -> Watched | None:
    return next((w for w in WATCHED if job.startswith(w.prefix)), None)


def reason_of(error) -> tuple[str, dict]:
    """(reason code, params) of a failure: an exception or a recorded message."""
    text = str(error or "")
    found = _PERMISSION.search(text)
    if isinstance(error, PermissionDenied) or found:
        return "permission", {"missing": found.group(1) if found else "—"}
    if isinstance(error, TokenInvalid | NotConnected) or "(#190)" in text:
        return "token", {}
    if isinstance(error, RateLimited):
        return "rate_limited", {}
    if isinstance(error, Transient):
        return "unavailable", {}
    if isinstance(error, GraphError):
        detail = (error.user_msg or str(error)).strip()
        return "refused", {"detail": detail if detail.endswith(".") else f"{detail}."}
    return "failed", {}


def texts(issue_kind: str, params: dict) -> tuple[str, str, str, str, bool]:
    """(title, explanation, cta label, cta url, severity is critical) in the active language."""
    from shops.checks import fill

    w = BY_KEY[issue_kind[len(ISSUE_PREFIX):]]
    explanation, reconnect = REASONS.get(params.get("reason"), REASONS["failed"])
    title = fill(TITLE, {"feature": str(w.feature)})
    shop_id = params.get("shop_id")
    if reconnect:
        return title, fill(explanation, params), str(_("Reconnect")), reverse("shops:connect", args=[shop_id]), True
    return title, fill(explanation, params), str(w.cta_label), reverse(w.url_name, args=[shop_id]), False


def is_job_issue(kind: str) -> bool:
    return kind.startswith(ISSUE_PREFIX) and kind[len(ISSUE_PREFIX):] in BY_KEY


def on_job_finished(sender=None, run: JobRun | None = None, error=None, **kwargs) -> None:
    """`kernel.jobs.job_finished` receiver: apply the rule (module docstring) to one run."""
    if run is None or run.shop_id is None or run.status in (JobRun.Status.SKIPPED, JobRun.Status.RUNNING):
        return
    w = watched(run.job)
    if w is None:
        return
    kind = ISSUE_PREFIX + w.key
    now = timezone.now()
    if run.status == JobRun.Status.SUCCEEDED:
        ShopIssue.objects.filter(shop_id=run.shop_id, kind=kind, resolved_at__isnull=True).update(resolved_at=now)
        return
    reason, params = reason_of(error if error is not None else run.error)
    needed = 1 if REASONS[reason][1] else failures_before_issue()
    recent = list(JobRun.objects.filter(shop_id=run.shop_id, job__startswith=w.prefix)
                  .exclude(status__in=[JobRun.Status.SKIPPED, JobRun.Status.RUNNING])
                  .order_by("-started_at", "-pk").values_list("status", flat=True)[:max(needed, 1)])
    failures = 0
    for status in recent:
        if status != JobRun.Status.FAILED:
            break
        failures += 1
    if failures < needed:
        return
    open_job_issue(run.shop_id, kind, {**params, "reason": reason, "failures": failures, "job": run.job,
                                       "shop_id": run.shop_id}, now=now)


def _english(kind: str, params: dict):
    from django.utils import translation

    with translation.override("en"):
        return texts(kind, params)


@transaction.atomic
def open_job_issue(shop_id: int, kind: str, params: dict, *, now=None) -> ShopIssue:
    now = now or timezone.now()
    title, explanation, label, url, critical = _english(kind, params)
    values = {"severity": "critical" if critical else "must_fix", "title": title[:200], "explanation": explanation,
              "cta_label": label[:100], "cta_url": url, "cta_external": False, "params": params, "last_seen": now}
    issue = ShopIssue.objects.select_for_update().filter(shop_id=shop_id, kind=kind, resolved_at__isnull=True).first()
    if issue is None:
        issue = ShopIssue.objects.create(shop_id=shop_id, kind=kind, first_seen=now, **values)
        log.info("shop %s: %s opened (%s)", shop_id, kind, params.get("reason"))
    else:
        for name, value in values.items():
            setattr(issue, name, value)
        issue.save()
    return issue

"""django-q2 task functions of the catalog (they take ids, never model instances)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from catalog import imports
from catalog.models import ImportJob
from portal.jobs import job_run


def check_import(job_id: int) -> dict | None:
    return _run("catalog.import_check", job_id, write=False)


def apply_import(job_id: int) -> dict | None:
    return _run("catalog.import_apply", job_id, write=True)


def _run(name: str, job_id: int, *, write: bool):
    shop_id = ImportJob.objects.filter(pk=job_id).values_list("shop_id", flat=True).first()
    if shop_id is None:
        return None
    with job_run(name, shop_id) as run:
        try:
            counts = imports.process(job_id, write=write)
        except Exception:
            imports.fail(job_id, _("The import stopped because of an unexpected error. Staff have been told; "
                                   "you can upload the file again."))
            raise
        run.counts = counts or {}
    return counts

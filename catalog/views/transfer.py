"""CSV import (upload → preview → apply, with a polled progress fragment) and CSV export."""

from __future__ import annotations

import csv
import io

from django.contrib import messages
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from catalog import csv_io, imports
from catalog.forms import ImportUploadForm
from catalog.models import ImportJob, Product
from shops.tenancy import get_for_shop, shop_view

SHOWN_ERRORS = 200
_RESULTS = ("errors", "warnings", "preview")


@shop_view
def import_start(request, shop):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = imports.start_import(shop, user=request.user, filename=form.cleaned_data["file"].name, text=form.text)
        return redirect("catalog:import_detail", shop_id=shop.pk, job_id=job.pk)
    jobs = ImportJob.objects.filter(shop=shop).defer("content", *_RESULTS)[:10]
    return render(request, "catalog/import.html", {"shop": shop, "form": form, "jobs": jobs,
                                                   "columns": csv_io.COLUMNS})


def _job(shop, job_id, *deferred: str) -> ImportJob:
    # The file itself stays in the database; pages never need it.
    return get_for_shop(ImportJob.objects.defer("content", *deferred), shop, pk=job_id)


@shop_view
def import_detail(request, shop, job_id):
    job = _job(shop, job_id)
    return render(request, "catalog/import_detail.html", {
        "shop": shop, "job": job, "errors": job.errors[:SHOWN_ERRORS], "more_errors": len(job.errors) > SHOWN_ERRORS,
    })


@shop_view
def import_progress(request, shop, job_id):
    """The small fragment the detail page polls (htmx) while the job works."""
    job = _job(shop, job_id, *_RESULTS)
    response = render(request, "catalog/_import_progress.html", {"shop": shop, "job": job})
    if not job.is_working and request.GET.get("was") == "working":
        response["HX-Refresh"] = "true"  # show the finished job's full results
    return response


@require_POST
@shop_view
def import_apply(request, shop, job_id):
    job = _job(shop, job_id, *_RESULTS)
    try:
        imports.start_apply(job, actor=request.user)
    except imports.ImportRefused as exc:
        messages.error(request, str(exc))
    return redirect("catalog:import_detail", shop_id=shop.pk, job_id=job.pk)


@require_POST
@shop_view
def import_cancel(request, shop, job_id):
    job = _job(shop, job_id, *_RESULTS)
    if imports.cancel(job, actor=request.user):
        messages.success(request, _("Import cancelled; nothing was changed."))
    return redirect("catalog:import_start", shop_id=shop.pk)


@shop_view
def import_errors(request, shop, job_id):
    """Every problem of the job as a CSV: row, id, column, message."""
    job = _job(shop, job_id)
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["row", "id", "column", "severity", "message"])
    for severity, items in (("error", job.errors), ("warning", job.warnings)):
        for item in items:
            writer.writerow([csv_io.safe_cell(v) for v in (item.get("row") or "", item.get("id", ""),
                                                             item.get("column", ""), severity, item["message"])])
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-problems.csv"'
    return response


@shop_view
def export(request, shop):
    products = Product.objects.live().filter(shop=shop).order_by("pk").iterator(chunk_size=2000)
    response = StreamingHttpResponse(csv_io.export_rows(products), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="products-{shop.pk}-{stamp}.csv"'
    return response

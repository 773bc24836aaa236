"""CSV import: upload → preview with per-row problems → apply; idempotent; large files as tasks."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from catalog import imports, services
from catalog.models import ImportJob, Product
from catalog.tests.factories import CSV_HEADER, csv_row, make_product
from kernel.models import JobRun


def _upload(client, shop, text: str, name="products.csv"):
    upload = SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")
    response = client.post(reverse("catalog:import_start", args=[shop.pk]), {"file": upload})
    assert response.status_code == 302, response.content.decode()[:2000]
    return ImportJob.objects.get(pk=response["Location"].rstrip("/").split("/")[-1])


def _apply(client, shop, job):
    response = client.post(reverse("catalog:import_apply", args=[shop.pk, job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    return job


def _csv(*rows):
    return "\n".join([CSV_HEADER, *rows]) + "\n"


def test_the_preview_reports_bad_rows_by_number_and_reason_and_changes_nothing(owner, shop_a):
    text = _csv(
        csv_row("TEA-1"),
        csv_row("TEA-2", price="abc"),
        csv_row("TEA-3").replace("https://t.example.com/TEA-3.jpg", "http://t.example.com/3.jpg"),
        csv_row("", title="No id"),
        csv_row("TEA-5", title=""),
    )
    job = _upload(owner, shop_a, text)
    assert job.status == "ready"
    assert job.counts == {"create": 1, "update": 0, "unchanged": 0, "error": 4, "warning": 0}
    problems = {(e["row"], e["column"]): e["message"] for e in job.errors}
    assert problems[(3, "price")] == "Enter an amount such as 1234.56."
    assert "https://" in problems[(4, "image_link")]
    assert problems[(5, "id")] == "The id (retailer id) is empty."
    assert problems[(6, "title")] == "Meta needs this for every product."
    assert not Product.objects.exists()
    page = owner.get(reverse("catalog:import_detail", args=[shop_a.pk, job.pk])).content.decode()
    assert "Import 1 product" in page and "Enter an amount such as 1234.56." in page


def test_applying_lands_the_valid_rows_and_skips_the_bad_ones(owner, shop_a):
    job = _upload(owner, shop_a, _csv(csv_row("TEA-1"), csv_row("TEA-2", price="abc"), csv_row("TEA-3", price="12")))
    job = _apply(owner, shop_a, job)
    assert job.status == "done"
    assert job.counts["create"] == 2 and job.counts["error"] == 1
    assert [e["row"] for e in job.errors] == [3]
    tea = Product.objects.get(shop=shop_a, retailer_id="TEA-3")
    assert tea.price_minor == 1200 and tea.currency == "USD" and tea.needs_sync_slow
    assert not Product.objects.filter(retailer_id="TEA-2").exists()
    assert ImportJob.objects.get(pk=job.pk).content == ""  # the applied file is dropped; results stay


def test_importing_the_same_file_again_changes_nothing(owner, shop_a):
    text = _csv(csv_row("TEA-1"), csv_row("TEA-2"))
    _apply(owner, shop_a, _upload(owner, shop_a, text))
    product = Product.objects.get(retailer_id="TEA-1")
    services.confirm_synced(shop_a, [(product.pk, product.slow_hash, product.fast_hash)])
    product.refresh_from_db()
    again = _apply(owner, shop_a, _upload(owner, shop_a, text))
    assert again.counts == {"create": 0, "update": 0, "unchanged": 2, "error": 0, "warning": 0}
    assert Product.objects.filter(shop=shop_a).count() == 2
    after = Product.objects.get(pk=product.pk)
    assert after.updated_at == product.updated_at and not after.needs_sync_slow


def test_reimporting_by_retailer_id_updates_in_place(owner, shop_a):
    existing = make_product(shop_a, retailer_id="TEA-1", price_minor=500, color="green")
    job = _apply(owner, shop_a, _upload(owner, shop_a, "id,price,availability\nTEA-1,7.50 USD,out of stock\n"))
    assert job.counts["update"] == 1
    existing.refresh_from_db()
    assert (existing.price_minor, existing.availability, existing.color) == (750, "out of stock", "green")


def test_friendly_aliases_and_meta_spellings_are_understood(owner, shop_a):
    text = ("SKU,Name,Description,Availability,Condition,Price,URL,Image,Brand,Inventory,Colour,Age Group,"
            "Shipping Weight,Labels,sale_price,sale_price_effective_date\n"
            "MUG-1,Mug,Stoneware,in_stock,New,18.00 USD,https://m.example.com/1,https://m.example.com/1.jpg,"
            "Harbour,12,blue,all_ages,0.4 kg,\"['gift','kitchen']\",15.00,"
            "2026-11-01T00:00+00:00/2026-11-30T23:59+00:00\n")
    job = _apply(owner, shop_a, _upload(owner, shop_a, text))
    assert job.counts["create"] == 1, job.errors
    mug = Product.objects.get(retailer_id="MUG-1")
    assert (mug.title, mug.availability, mug.condition, mug.quantity_to_sell_on_facebook) == (
        "Mug", "in stock", "new", 12)
    assert (mug.color, mug.age_group, mug.shipping_weight, mug.internal_labels) == (
        "blue", "all ages", "0.4 kg", ["gift", "kitchen"])
    assert mug.sale_price_minor == 1500 and mug.sale_starts_at.day == 1 and mug.sale_ends_at.day == 30


def test_a_price_in_another_currency_is_refused(owner, shop_a):
    job = _upload(owner, shop_a, _csv(csv_row("TEA-1", price="9.99 EUR")))
    assert job.errors[0]["column"] == "price"
    assert job.errors[0]["message"] == "The price is in EUR but this shop sells in USD."


def test_a_repeated_id_in_one_file_is_an_error_on_its_second_row(owner, shop_a):
    job = _upload(owner, shop_a, _csv(csv_row("TEA-1"), csv_row("TEA-1", title="Again")))
    assert job.counts["create"] == 1
    assert job.errors == [{"row": 3, "id": "TEA-1", "column": "id",
                           "message": "This id is already on row 2; each product may appear once."}]


def test_unknown_columns_are_warnings(owner, shop_a):
    job = _upload(owner, shop_a, "id,price,favourite_colour\nTEA-1,9.99,red\n")
    assert job.warnings[0]["column"] == "favourite_colour"
    assert job.errors and job.errors[0]["column"] in {"title", "description", "link", "image_link", "brand"}


def test_a_file_without_an_id_column_fails_as_a_whole(owner, shop_a):
    job = _upload(owner, shop_a, "title,price\nTea,9.99\n")
    assert job.status == "failed" and "no id column" in job.fatal_error
    page = owner.get(reverse("catalog:import_detail", args=[shop_a.pk, job.pk])).content.decode()
    assert "no id column" in page


def test_semicolon_files_from_spreadsheets_work(owner, shop_a):
    text = _csv(csv_row("TEA-1")).replace(",", ";")
    job = _upload(owner, shop_a, text)
    assert job.counts["create"] == 1, job.errors


def test_a_file_that_is_not_utf8_is_refused_with_a_hint(owner, shop_a):
    upload = SimpleUploadedFile("p.csv", "id,title\nT1,Thé\n".encode("latin-1"), content_type="text/csv")
    response = owner.post(reverse("catalog:import_start", args=[shop_a.pk]), {"file": upload})
    assert response.status_code == 200
    assert "CSV UTF-8" in response.context["form"].errors["file"][0]
    assert not ImportJob.objects.exists()


def test_importing_a_deleted_products_id_revives_it(owner, shop_a):
    old = make_product(shop_a, retailer_id="TEA-1")
    services.delete_product(shop_a, old)
    job = _apply(owner, shop_a, _upload(owner, shop_a, _csv(csv_row("TEA-1", title="Back"))))
    assert job.counts["create"] == 1
    old.refresh_from_db()
    assert old.deleted_at is None and old.title == "Back"


def test_a_cancelled_import_cannot_be_applied(owner, shop_a):
    job = _upload(owner, shop_a, _csv(csv_row("TEA-1")))
    owner.post(reverse("catalog:import_cancel", args=[shop_a.pk, job.pk]))
    response = owner.post(reverse("catalog:import_apply", args=[shop_a.pk, job.pk]), follow=True)
    assert "not waiting to be applied" in response.content.decode()
    assert not Product.objects.exists()


def test_a_viewer_can_look_but_not_import(client, bob, shop_a):
    client.force_login(bob)
    job = imports.start_import(shop_a, user=None, filename="p.csv", text=_csv(csv_row("TEA-1")))
    assert client.get(reverse("catalog:import_detail", args=[shop_a.pk, job.pk])).status_code == 200
    assert client.post(reverse("catalog:import_apply", args=[shop_a.pk, job.pk])).status_code == 403
    upload = SimpleUploadedFile("p.csv", b"id\nX\n", content_type="text/csv")
    assert client.post(reverse("catalog:import_start", args=[shop_a.pk]), {"file": upload}).status_code == 403
    assert not Product.objects.exists()


def test_a_large_file_runs_as_a_task_in_chunks_with_progress(owner, shop_a, settings, monkeypatch):
    from django_q.models import Task

    settings.CATALOG_IMPORT_INLINE_ROWS = 5
    monkeypatch.setattr(imports, "CHUNK_ROWS", 10)
    progress = []
    original = ImportJob.objects.filter

    def spy(*args, **kwargs):
        qs = original(*args, **kwargs)
        update = qs.update

        def recording_update(**values):
            if "processed_rows" in values:
                progress.append(values["processed_rows"])
            return update(**values)

        qs.update = recording_update
        return qs

    monkeypatch.setattr(ImportJob.objects, "filter", spy)
    rows = [csv_row(f"TEA-{i}") for i in range(35)] + [csv_row("BAD", price="x")]
    job = _upload(owner, shop_a, _csv(*rows))
    assert job.task_id and Task.objects.filter(id=job.task_id, success=True).exists()
    assert job.status == "ready" and job.total_rows == 36
    assert progress == [0, 10, 20, 30, 36]
    progress.clear()
    job = _apply(owner, shop_a, job)
    assert job.status == "done" and job.counts["create"] == 35 and job.errors[0]["row"] == 37
    assert progress == [0, 0, 10, 20, 30, 36]
    assert Product.objects.filter(shop=shop_a).count() == 35
    runs = JobRun.objects.filter(shop=shop_a).order_by("pk")
    assert [(r.job, r.status) for r in runs] == [("catalog.import_check", "succeeded"),
                                                  ("catalog.import_apply", "succeeded")]


def test_the_progress_fragment_polls_while_working_and_refreshes_when_done(owner, shop_a):
    job = ImportJob.objects.create(shop=shop_a, filename="big.csv", content="id\n", status="applying",
                                   total_rows=200, processed_rows=50)
    url = reverse("catalog:import_progress", args=[shop_a.pk, job.pk])
    response = owner.get(url)
    html = response.content.decode()
    assert 'hx-trigger="every 1s"' in html and 'value="25"' in html and "50 of 200 rows" in html
    assert "HX-Refresh" not in response
    ImportJob.objects.filter(pk=job.pk).update(status="done", processed_rows=200)
    response = owner.get(url + "?was=working")
    assert response["HX-Refresh"] == "true" and "hx-trigger" not in response.content.decode()


def test_another_shops_import_is_not_found(owner, shop_a, shop_b):
    theirs = ImportJob.objects.create(shop=shop_b, filename="b.csv", content="id\n", status="ready")
    for name in ("import_detail", "import_progress", "import_errors"):
        assert owner.get(reverse(f"catalog:{name}", args=[shop_a.pk, theirs.pk])).status_code == 404
    for name in ("import_apply", "import_cancel"):
        assert owner.post(reverse(f"catalog:{name}", args=[shop_a.pk, theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "ready"


def test_every_problem_downloads_as_csv(owner, shop_a):
    job = _upload(owner, shop_a, _csv(csv_row("TEA-1", price="x"), csv_row("TEA-2", title="t" * 160),
                                      csv_row("=HYPERLINK(1)", price="x")))
    response = owner.get(reverse("catalog:import_errors", args=[shop_a.pk, job.pk]))
    lines = response.content.decode("utf-8-sig").splitlines()
    assert lines[0] == "row,id,column,severity,message"
    assert lines[1].startswith("2,TEA-1,price,error,")
    assert lines[2].startswith("4,'=HYPERLINK(1),price,error,")  # never run as a spreadsheet formula
    assert lines[3].startswith("3,TEA-2,title,warning,")


def test_a_long_import_saves_its_place_and_continues_in_new_tasks(owner, shop_a, settings, monkeypatch):
    settings.CATALOG_IMPORT_INLINE_ROWS = 5
    settings.CATALOG_IMPORT_TASK_SECONDS = 0  # every task stops after one chunk
    monkeypatch.setattr(imports, "CHUNK_ROWS", 10)
    rows = [csv_row(f"TEA-{i}") for i in range(25)] + [csv_row("TEA-3", title="Duplicate after a checkpoint")]
    job = _upload(owner, shop_a, _csv(*rows))
    assert job.status == "ready" and job.position == 0
    assert job.counts["create"] == 25
    assert [(e["row"], e["column"]) for e in job.errors] == [(27, "id")]
    job = _apply(owner, shop_a, job)
    assert job.status == "done" and job.counts["create"] == 25
    assert Product.objects.filter(shop=shop_a).count() == 25
    runs = list(JobRun.objects.filter(shop=shop_a).values_list("job", flat=True))
    assert runs.count("catalog.import_check") == 3 and runs.count("catalog.import_apply") == 3


def test_a_job_another_worker_holds_is_not_processed_twice_and_a_killed_workers_resumes_within_a_minute(shop_a):
    import time_machine
    from django.utils import timezone

    from kernel import jobs

    job = ImportJob.objects.create(shop=shop_a, filename="p.csv", content=_csv(csv_row("TEA-1")), status="applying")
    with time_machine.travel(timezone.now(), tick=False) as clock:
        other = jobs.claim(imports.lease_key(job.pk))  # another worker applies it
        assert imports.process(job.pk, write=True) is None
        assert not Product.objects.exists()
        jobs._live.leases = {}  # that worker is killed (kill -9): nothing renews its lease
        clock.shift(45)
        assert imports.process(job.pk, write=True) is None
        clock.shift(20)  # past the lease of about a minute (it was 5 minutes)
        assert imports.process(job.pk, write=True)["create"] == 1
        assert other.release() is False and not jobs.is_held(imports.lease_key(job.pk))

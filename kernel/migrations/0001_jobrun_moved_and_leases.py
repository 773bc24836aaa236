"""JobRun moves from the project shell (`portal`) into the kernel without touching its table
(`portal_jobrun`); the lease table is new."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ("portal", "0001_initial"),
        migrations.swappable_dependency(settings.TENANT_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="JobRun",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("job", models.CharField(max_length=100)),
                        ("status", models.CharField(choices=[("running", "Running"), ("succeeded", "Succeeded"), ("failed", "Failed"), ("skipped", "Skipped")], default="running", max_length=20)),
                        ("started_at", models.DateTimeField(default=django.utils.timezone.now)),
                        ("finished_at", models.DateTimeField(blank=True, null=True)),
                        ("counts", models.JSONField(blank=True, default=dict)),
                        ("error", models.TextField(blank=True)),
                        ("task_id", models.CharField(blank=True, max_length=64)),
                        ("shop", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name="job_runs", to=settings.TENANT_MODEL)),
                    ],
                    options={
                        "db_table": "portal_jobrun",
                        "ordering": ["-started_at"],
                        "indexes": [models.Index(fields=["job", "shop", "-started_at"], name="portal_jobr_job_f1fcd1_idx")],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.CreateModel(
            name="Lease",
            fields=[
                ("key", models.CharField(max_length=150, primary_key=True, serialize=False)),
                ("owner", models.CharField(max_length=32)),
                ("until", models.DateTimeField()),
                ("taken_at", models.DateTimeField(default=django.utils.timezone.now)),
            ],
            options={"verbose_name": "lease"},
        ),
    ]

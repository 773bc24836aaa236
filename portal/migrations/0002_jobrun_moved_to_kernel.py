"""JobRun now belongs to the kernel (kernel/0001 takes it over in the state; the table stays)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("portal", "0001_initial"),
        ("kernel", "0001_jobrun_moved_and_leases"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="JobRun")],
            database_operations=[],
        ),
    ]

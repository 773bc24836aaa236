from django.core.management.base import BaseCommand

from portal.schedules import sync_schedules


class Command(BaseCommand):
    help = "Install the schedules declared in portal/schedules.py (idempotent)."

    def handle(self, *args, **options):
        result = sync_schedules()
        self.stdout.write(
            "schedules: {created} created, {updated} updated, {deleted} deleted".format(**result)
        )

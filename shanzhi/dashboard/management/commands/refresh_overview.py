"""Recount the county's and every township's overview for the month (run by ``shanzhi worker``)."""

from django.core.management.base import BaseCommand

from shanzhi.dashboard.snapshots import refresh


class Command(BaseCommand):
    help = "Refresh the overview snapshots of the county and its townships."

    def handle(self, *args, **options):
        say = self.stdout.write if options["verbosity"] > 1 else None
        written = refresh(say=say)
        if options["verbosity"] > 1:
            self.stdout.write(f"{written} snapshot(s) written")

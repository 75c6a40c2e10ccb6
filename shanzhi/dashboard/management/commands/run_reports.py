"""Build the queued report and export files (run by ``shanzhi worker`` every few seconds)."""

from django.core.management.base import BaseCommand

from shanzhi.dashboard.services import run_pending


class Command(BaseCommand):
    help = "Build queued reports and list exports."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=20, help="most jobs to build in this run")

    def handle(self, *args, limit, **options):
        built = run_pending(limit)
        if built and options["verbosity"] > 1:
            self.stdout.write(f"{built} report job(s) built")

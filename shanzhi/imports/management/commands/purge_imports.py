"""``shanzhi purge_imports [--days 30]``: delete old uploaded files (the jobs and their reports stay)."""

from django.core.management.base import BaseCommand

from shanzhi.imports.services import purge_files


class Command(BaseCommand):
    help = "Delete uploaded import files and rejected-row files older than --days (default 30)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=30)

    def handle(self, *args, **options):
        removed = purge_files(older_than_days=options["days"])
        self.stdout.write(f"{removed} files removed")

"""``shanzhi purge_imports [--days N]``: delete old uploaded files (the jobs and their reports stay)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from shanzhi.imports.services import purge_files


class Command(BaseCommand):
    help = "Delete uploaded import files and rejected-row files older than --days (default: SHANZHI_IMPORT_KEEP_DAYS, 30)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args, **options):
        days = options["days"] if options["days"] is not None else settings.SHANZHI_IMPORT_KEEP_DAYS
        removed = purge_files(older_than_days=days)
        self.stdout.write(f"{removed} files removed")

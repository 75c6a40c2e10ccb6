"""``shanzhi backup PATH``: a consistent backup of the database plus its manifest."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from shanzhi.core.backup import BackupError, backup, manifest_path


class Command(BaseCommand):
    help = "Back up the database (SQLite online backup API, or pg_dump -Fc) to PATH, with PATH.manifest.json."

    def add_arguments(self, parser):
        parser.add_argument("path", help="new file to write (never overwritten)")
        parser.add_argument("--database", default="default")

    def handle(self, *args, path, database, verbosity=1, **options):
        try:
            manifest = backup(path, using=database)
        except BackupError as exc:
            raise CommandError(f"备份失败:{exc}") from None
        if verbosity < 1:
            return
        rows = sum(manifest.tables.values())
        self.stdout.write(
            self.style.SUCCESS(
                f"备份完成:{path}({manifest.engine},{manifest.size_bytes / 1e6:.1f} MB,"
                f"{len(manifest.tables)} 张表 {rows:,} 行,审计链至第 {manifest.audit_tip_id} 行,"
                f"用时 {manifest.seconds:.1f} 秒);清单 {manifest_path(Path(path).resolve())}"
            )
        )

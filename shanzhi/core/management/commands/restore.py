"""``shanzhi restore PATH``: load a backup into a new, empty database, then prove it.

Point the service's settings (SHANZHI_SQLITE_PATH or DATABASE_URL) at the new database
first. After loading, the row counts are compared with the backup's manifest and the
audit chain and the points ledger are verified; any difference exits non-zero.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management import call_command, get_commands
from django.core.management.base import BaseCommand, CommandError

from shanzhi.core.backup import INTEGRITY_COMMANDS, BackupError, Manifest, compare_with_manifest, restore


class Command(BaseCommand):
    help = "Restore a backup made by 'shanzhi backup' into the configured (new, empty) database, then verify it."
    requires_system_checks = []  # the database is empty until the restore has run

    def add_arguments(self, parser):
        parser.add_argument("path")
        parser.add_argument("--database", default="default")

    def handle(self, *args, path, database, **options):
        started = time.perf_counter()
        manifest = Manifest.read(Path(path).resolve())
        try:
            seconds = restore(path, using=database)
        except BackupError as exc:
            raise CommandError(f"恢复失败:{exc}") from None
        self.stdout.write(f"已载入 {path}({seconds:.1f} 秒),开始校验……")
        if manifest is None:
            self.stderr.write("未找到备份清单(.manifest.json),跳过行数核对。")
        else:
            problems = compare_with_manifest(manifest, using=database)
            for line in problems:
                self.stderr.write(line)
            if problems:
                raise CommandError(f"恢复后的数据与备份清单不符:{len(problems)} 处", returncode=2)
            self.stdout.write(f"行数与备份清单一致:{len(manifest.tables)} 张表 {sum(manifest.tables.values()):,} 行")
        available = get_commands()
        for argv in INTEGRITY_COMMANDS:
            if argv[0] in available:
                call_command(*argv, *(["--database", database] if argv[0] == "audit" else []), stdout=self.stdout)
        self.stdout.write(self.style.SUCCESS(f"恢复完成并通过校验,总用时 {time.perf_counter() - started:.1f} 秒。"))

"""``shanzhi audit verify`` and ``shanzhi audit purge --before DATE``.

verify recomputes the SM3 chain of the whole audit log and exits 2 naming the first
row that does not fit; purge removes rows older than DATE (at least 180 days ago),
anchoring the chain in a checkpoint and recording the purge in the log itself.
"""

from __future__ import annotations

import datetime as dt
import time

from django.core.management.base import BaseCommand, CommandError

from shanzhi.core import audit
from shanzhi.core.models import AuditLog

PROBLEMS = {
    "link": "与前一行的哈希不衔接(其前的记录被删除、插入或改写)",
    "content": "内容与其哈希不符(该行被修改)",
    "checkpoint": "链起点的检查点没有对应的清理记录(链被人为截断)",
}


class Command(BaseCommand):
    help = "Audit log tools: 'verify' checks the SM3 hash chain; 'purge' removes rows past retention."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="{verify,purge}")
        verify = sub.add_parser(
            "verify", help="recompute the hash chain; exit code 2 and the first bad row on any break"
        )
        purge = sub.add_parser("purge", help="remove rows created before DATE (at least 180 days ago)")
        purge.add_argument("--before", required=True, help="date YYYY-MM-DD (local time); rows before it go")
        purge.add_argument("--operator", default="", help="who runs the purge, recorded in the log")
        for command in (verify, purge):
            command.add_argument("--database", default="default", help="database alias (default: default)")

    def handle(self, *args, action, database, **options):
        if action == "verify":
            return self.verify(database)
        return self.purge(options["before"], options["operator"], database)

    def verify(self, using):
        started = time.perf_counter()
        report = audit.verify_chain(using=using)
        seconds = time.perf_counter() - started
        if not report.ok:
            row = AuditLog.objects.using(using).filter(pk=report.first_bad_id).first() if report.first_bad_id else None
            where = (
                f"第一处断裂:第 {row.pk} 行({row.created:%Y-%m-%d %H:%M:%S} {row.action})"
                if row is not None
                else "链起点"
            )
            raise CommandError(
                f"审计日志校验失败:{where},{PROBLEMS[report.problem]};此前 {report.rows} 行完好。"
                f" first bad row: {report.first_bad_id or 'checkpoint'} ({report.problem})",
                returncode=2,
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"审计日志校验通过:{report.rows} 行,SM3 哈希链完整({seconds:.2f} 秒,{report.rows / max(seconds, 1e-6):,.0f} 行/秒)"
            )
        )

    def purge(self, before_text, operator, using):
        try:
            before = dt.date.fromisoformat(before_text)
        except ValueError:
            raise CommandError(f"--before {before_text!r} is not a date (YYYY-MM-DD)") from None
        try:
            result = audit.purge(before=before, actor_label=operator or "shanzhi audit purge", using=using)
        except audit.RetentionError as exc:
            raise CommandError(f"拒绝清理:{exc}", returncode=3) from None
        if not result.rows_purged:
            self.stdout.write(f"{before} 之前没有审计记录,无需清理。")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"已清理 {before} 之前的审计记录 {result.rows_purged} 行(至第 {result.through_id} 行),"
                f"检查点哈希 {result.through_hash[:16]}…,清理本身已记入审计日志。"
            )
        )

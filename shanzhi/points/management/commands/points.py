"""``shanzhi points verify`` and ``shanzhi points sweep``."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from shanzhi.areas.models import Area


class Command(BaseCommand):
    help = "Points ledger tools: 'verify' re-derives balances and hash chains; 'sweep' ends public notices."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="{verify,sweep}")
        verify = sub.add_parser(
            "verify", help="recompute every balance and both hash chains; non-zero exit on mismatch"
        )
        verify.add_argument("--village", help="only the village with this area code")
        sub.add_parser("sweep", help="entries whose public notice is over take effect")

    def handle(self, *args, action, **options):
        if action == "verify":
            return self.verify(options.get("village"))
        return self.sweep()

    def verify(self, village_code):
        from shanzhi.points.verify import verify_ledger

        ids = None
        if village_code:
            village = Area.objects.filter(code=village_code, level="village").first()
            if village is None:
                raise CommandError(f"no village with code {village_code}")
            ids = [village.pk]
        started = time.perf_counter()
        villages, entries, problems = verify_ledger(ids)
        for line in problems:
            self.stderr.write(line)
        seconds = time.perf_counter() - started
        if problems:
            raise CommandError(
                f"积分台账校验失败:{len(problems)} 处不一致({villages} 个村,{entries} 条记录,{seconds:.1f} 秒)",
                returncode=2,
            )
        self.stdout.write(
            self.style.SUCCESS(f"积分台账校验通过:{villages} 个村,{entries} 条记录,哈希链与余额一致({seconds:.1f} 秒)")
        )

    def sweep(self):
        from shanzhi.points.services import sweep_notices

        count = sweep_notices()
        self.stdout.write(f"公示期满生效:{count} 条")

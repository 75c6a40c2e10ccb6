from __future__ import annotations

import time

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from shanzhi.accounts.models import User
from shanzhi.demo.builder import DEFAULT_HOUSEHOLDS, DEMO_ACCOUNTS, DEMO_PASSWORD, EXTRA_DEMO_ACCOUNTS, county_exists
from shanzhi.demo.steps import build_demo


class Command(BaseCommand):
    help = "Build the demo county (deterministic, shaped like Hulin) and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--households",
            type=int,
            default=DEFAULT_HOUSEHOLDS,
            help="number of households (default 15,900; benchmarks use more)",
        )
        parser.add_argument("--rebuild", action="store_true", help="empty the database first, then build")
        parser.add_argument("--no-accounts", action="store_true", help="skip the demo logins (benchmarks)")

    def handle(self, *args, households, rebuild, no_accounts, **options):
        if households < 100:
            raise CommandError("--households must be at least 100")
        if rebuild:
            call_command("flush", interactive=False, verbosity=0)
        if county_exists():
            self.stdout.write("演示县已存在,跳过生成(用 --rebuild 重新生成)。")
        else:
            started = time.perf_counter()
            result = build_demo(households, with_accounts=not no_accounts, say=lambda m: self.stdout.write("  " + m))
            self.stdout.write(
                self.style.SUCCESS(
                    f"演示县已生成:{result.townships} 个乡镇,{result.villages} 个村,{result.grids} 个网格,"
                    f"{result.households} 户,{result.residents} 名居民,网格员 专业 {result.workers['specialist']} / "
                    f"专职 {result.workers['full_time']} / 兼职 {result.workers['part_time']},"
                    f"用时 {time.perf_counter() - started:.1f} 秒"
                )
            )
        if not no_accounts:
            self.print_logins()

    def print_logins(self):
        self.stdout.write("")
        self.stdout.write(f"演示账号(密码均为 {DEMO_PASSWORD}):")
        present = set(User.objects.values_list("username", flat=True))
        accounts = DEMO_ACCOUNTS + [a for a in EXTRA_DEMO_ACCOUNTS if a[0] in present]
        for username, display_name, _role, what in accounts:
            self.stdout.write(f"  {username:<15} {display_name} — {what}")
        self.stdout.write("")

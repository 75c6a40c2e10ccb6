"""The monthly evaluation run: ``shanzhi gridwork_evaluate`` (the worker process runs it daily).

Without arguments it closes last month once the scheme's closing day has come (before
that it keeps a provisional result) and refreshes this month's provisional scores.
``--month 2025-05`` computes one month, ``--close`` closes it, ``--verify`` computes
each stored month again and reports any difference (a closed month must give none).
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from shanzhi.areas.choices import AreaLevel
from shanzhi.areas.models import Area
from shanzhi.core.errors import DomainError
from shanzhi.gridwork import evaluation
from shanzhi.gridwork.models import EvaluationMonth


class Command(BaseCommand):
    help = "Compute (and close when due) the monthly evaluation of full-time grid workers."

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM; default: the monthly run (last month and this month)")
        parser.add_argument("--township", help="the township's area code (default: every township)")
        parser.add_argument("--close", action="store_true", help="close the month (it must have ended)")
        parser.add_argument("--verify", action="store_true", help="recompute stored months and report differences")

    def handle(self, *args, month=None, township=None, close=False, verify=False, **options):
        townships = None
        if township:
            townships = list(Area.objects.filter(level=AreaLevel.TOWNSHIP, code=township))
            if not townships:
                raise CommandError(f"no township with code {township}")
        chosen = None
        if month:
            try:
                year, number = month.split("-")
                chosen = dt.date(int(year), int(number), 1)
            except ValueError:
                raise CommandError("--month must look like 2025-05") from None
        if verify:
            return self.verify(chosen, townships)
        try:
            if chosen is None:
                done = evaluation.monthly_run()
                self.stdout.write(f"closed: {len(done['closed'])}, provisional: {len(done['computed'])}")
            else:
                months = evaluation.run_month(chosen, townships=townships, close=close)
                closed = sum(1 for m in months if m.is_closed)
                self.stdout.write(f"{chosen:%Y-%m}: {len(months)} townships, {closed} closed")
        except DomainError as exc:
            raise CommandError(" ".join(m for ms in exc.fields.values() for m in ms) or exc.message) from None

    def verify(self, month, townships):
        months = EvaluationMonth.objects.select_related("township")
        if month:
            months = months.filter(month=month)
        if townships:
            months = months.filter(township__in=townships)
        problems = 0
        for stored in months.order_by("month", "township__path"):
            differences = evaluation.recompute(stored)
            problems += len(differences)
            for line in differences:
                self.stdout.write(f"{stored}: {line}")
        if problems:
            raise CommandError(f"{problems} differences")
        self.stdout.write(f"verified {months.count()} monthly evaluations: no difference")

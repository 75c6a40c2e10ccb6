"""The one background process: runs the periodic jobs of shanzhi/jobs.py on schedule.

    shanzhi worker            # forever, checking every 30 s which jobs are due
    shanzhi worker --once     # every job once, then exit (for cron or a systemd timer)

A failing job is logged and retried at its next turn; it never stops the others.
"""

from __future__ import annotations

import logging
import signal
import time

from django.core.management import call_command
from django.core.management.base import BaseCommand

from shanzhi.jobs import PERIODIC_JOBS

logger = logging.getLogger("shanzhi.worker")


class Command(BaseCommand):
    help = "Run the periodic jobs (deadline sweeps, notice periods, monthly runs)."

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run every job once and exit")
        parser.add_argument("--tick", type=int, default=30, help="seconds between schedule checks")

    def handle(self, *args, once, tick, **options):
        stopping = {"now": False}

        def stop(signum, frame):
            stopping["now"] = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        next_run = {tuple(job): 0.0 for job, _every in PERIODIC_JOBS}
        failures = 0
        while not stopping["now"]:
            now = time.monotonic()
            for job, every in PERIODIC_JOBS:
                if once or now >= next_run[tuple(job)]:
                    failures += not self.run_job(job)
                    next_run[tuple(job)] = time.monotonic() + every
            if once:
                break
            time.sleep(tick)
        if once and failures:
            raise SystemExit(1)

    def run_job(self, job: list[str]) -> bool:
        started = time.perf_counter()
        try:
            call_command(*job)
        except Exception:  # one failing job must not stop the others
            logger.exception("job %s failed", " ".join(job))
            return False
        elapsed = time.perf_counter() - started
        # Quick runs of the frequent jobs (every few seconds) stay out of the console at INFO.
        logger.log(logging.INFO if elapsed >= 1 else logging.DEBUG, "job %s done in %.1f s", " ".join(job), elapsed)
        return True

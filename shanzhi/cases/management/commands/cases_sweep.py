"""Mark overdue cases and escalate them; then deliver the notification outbox.

Run every few minutes by the worker process (``shanzhi cases_sweep``). Safe to run
twice at once: each case is claimed with a conditional UPDATE before it is escalated.
"""

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils import translation

from shanzhi.cases.notify import deliver_outbox
from shanzhi.cases.services import sweep


class Command(BaseCommand):
    help = "Escalate overdue cases (two levels) and send pending notifications."

    def add_arguments(self, parser):
        parser.add_argument("--no-send", action="store_true", help="only escalate; leave the outbox for later")

    def handle(self, *args, **options):
        with translation.override(settings.LANGUAGE_CODE):
            counts = sweep()
            self.stdout.write(f"escalated: overdue={counts['overdue']} county={counts['county']}")
            if not options["no_send"]:
                sent = deliver_outbox()
                self.stdout.write(f"notifications: sent={sent['sent']} failed={sent['failed']}")

from django.core.management.base import BaseCommand

from shanzhi.cases.notify import deliver_outbox


class Command(BaseCommand):
    help = "Hand unsent notifications to the configured sender (SHANZHI_NOTIFICATION_SENDER)."

    def add_arguments(self, parser):
        parser.add_argument("--limit", type=int, default=500)

    def handle(self, *args, **options):
        result = deliver_outbox(limit=options["limit"])
        self.stdout.write(f"sent={result['sent']} failed={result['failed']}")

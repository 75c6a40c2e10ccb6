"""Load the default duty catalogue (53 duties) and care visit rules the county does not have yet."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from shanzhi.gridwork.catalogue import load_default_care_rules, load_default_catalogue


class Command(BaseCommand):
    help = "Load the default grid-worker duty catalogue and care visit rules (existing entries are kept)."

    def handle(self, *args, **options):
        duties = load_default_catalogue()
        rules = load_default_care_rules()
        self.stdout.write(f"duties added: {duties}; care rules added: {rules}")

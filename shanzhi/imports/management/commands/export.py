"""``shanzhi export <kind> <file>``: the records in the template's shape (re-importable); audited."""

from __future__ import annotations

import shutil

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from shanzhi.accounts.models import User
from shanzhi.core.errors import DomainError
from shanzhi.imports import services
from shanzhi.imports.kinds import KINDS


class Command(BaseCommand):
    help = "Export records in the shape of the import template (.xlsx or .csv)."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument("file")
        parser.add_argument("--format", choices=["xlsx", "csv"], default=None, help="default: from the file name")
        parser.add_argument("--encoding", choices=["utf-8", "gbk"], default="utf-8", help="for CSV")
        parser.add_argument("--user", help="export as this user (their jurisdiction and masking); default: the system")

    def handle(self, *args, **options):
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise CommandError(_("No active user %(name)s.") % {"name": options["user"]})
        file_format = options["format"] or ("csv" if options["file"].lower().endswith(".csv") else "xlsx")
        try:
            path, _name, count = services.export(
                options["kind"], actor=actor, file_format=file_format, encoding=options["encoding"]
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        shutil.move(str(path), options["file"])
        self.stdout.write(_("%(n)s rows written to %(path)s") % {"n": count, "path": options["file"]})

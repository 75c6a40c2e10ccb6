"""``shanzhi import <kind> <file> [--dry-run]``: the import flow from the shell.

Exits 0 when every row went in (or, with --dry-run, would), 1 when any row is rejected,
2 when the file needs decisions (unrecognised columns, sheets) or cannot be read.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from shanzhi.accounts.models import User
from shanzhi.core.errors import DomainError
from shanzhi.imports import cells, services
from shanzhi.imports.choices import ImportMode, JobStatus
from shanzhi.imports.kinds import KINDS
from shanzhi.imports.kinds.base import AreaIndex

SHOWN_ISSUES = 50


class Command(BaseCommand):
    help = "Import a spreadsheet (.xlsx or .csv): check every row, then write the good ones."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="check and report; write nothing")
        parser.add_argument(
            "--mode",
            choices=ImportMode.values,
            default=ImportMode.ALL_OR_NOTHING,
            help="all: nothing unless every row is valid (default); good: the valid rows",
        )
        parser.add_argument("--user", help="import as this user (their role and jurisdiction); default: the system")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="HEADER=FIELD",
            help="what an unrecognised column holds, on every sheet (FIELD empty: leave it out)",
        )
        parser.add_argument(
            "--sheet",
            action="append",
            default=[],
            metavar="SHEET=AREA",
            help="which area (code or name) a sheet is about, or SHEET=skip",
        )
        parser.add_argument("--header-row", action="append", default=[], metavar="SHEET=N")
        parser.add_argument("--rejected-out", help="write the rejected rows (.xlsx with an error column) here")

    def handle(self, *args, **options):
        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise CommandError(_("No active user %(name)s.") % {"name": options["user"]})
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        try:
            job = services.upload(
                kind=options["kind"], source=path, actor=actor, original_name=path.name, mode=options["mode"]
            )
            choices = self._choices(job, options)
            if choices:
                job = services.set_mapping(job, actor=actor, sheets=choices)
        except DomainError as exc:
            self.stderr.write(exc.message)
            raise SystemExit(2) from None
        self._sheets(job)
        if job.status == JobStatus.NEEDS_MAPPING:
            self.stderr.write(
                _(
                    "The file needs decisions before it can be checked. Say what each column holds with --map, e.g. %(example)s."
                )
                % {"example": "--map '包户干部='"}
            )
            raise SystemExit(2)
        try:
            report = services.check(job, actor=actor) if options["dry_run"] else services.commit(job, actor=actor)
        except DomainError as exc:
            self.stderr.write(exc.message)
            raise SystemExit(2) from None
        job.refresh_from_db()
        self._report(job)
        if options["rejected_out"] and job.rejected_file:
            with job.rejected_file.open("rb") as source, open(options["rejected_out"], "wb") as target:
                shutil.copyfileobj(source, target)
            self.stdout.write(_("Rejected rows written to %(path)s") % {"path": options["rejected_out"]})
        if report.rejected or (not options["dry_run"] and not report.committed):
            raise SystemExit(1)

    def _choices(self, job, options) -> list[dict]:
        columns = {}
        for item in options["map"]:
            header, _sep, field = item.partition("=")
            columns[cells.header_key(header)] = field.strip()
        by_name = {sheet["name"]: sheet["index"] for sheet in job.sheets}
        choices = {sheet["index"]: {"index": sheet["index"]} for sheet in job.sheets}
        if columns:
            for sheet in job.sheets:
                keys = {c["key"] for c in sheet.get("columns", [])}
                wanted = {k: v for k, v in columns.items() if k in keys}
                if wanted:
                    choices[sheet["index"]]["columns"] = wanted
        areas = None
        for item in options["sheet"]:
            name, _sep, value = item.partition("=")
            if name not in by_name:
                raise CommandError(_("No sheet named %(name)s in the file.") % {"name": name})
            if value.strip().lower() == "skip":
                choices[by_name[name]]["skip"] = True
                continue
            areas = areas or AreaIndex()
            ref = areas.by_code.get(value.strip())
            if ref is None:
                try:
                    ref = areas.resolve(value, ("county", "township", "village", "grid"))
                except cells.CellError as exc:
                    raise CommandError(exc.message) from None
            choices[by_name[name]]["area"] = ref.id
        for item in options["header_row"]:
            name, _sep, value = item.partition("=")
            if name not in by_name or not value.strip().isdigit():
                raise CommandError(_("Write --header-row SHEET=N."))
            choices[by_name[name]]["header_row"] = int(value)
        return [c for c in choices.values() if len(c) > 1]

    def _sheets(self, job) -> None:
        for sheet in job.sheets:
            state = (
                _("left out") if sheet.get("skip") else _("header in row %(row)s") % {"row": sheet.get("header_row")}
            )
            self.stdout.write(f"[{sheet['name']}] {state}")
            for column in sheet.get("columns", []):
                if column.get("field") is None:
                    self.stdout.write("  " + _("column %(letter)s %(header)s: not recognised") % column)
            for problem in sheet.get("problems", []):
                self.stderr.write("  " + problem)
            for note in sheet.get("notes", []):
                self.stdout.write("  " + note)

    def _report(self, job) -> None:
        summary = job.summary or {}
        self.stdout.write(
            _("%(rows)s rows: %(created)s new, %(updated)s updated, %(unchanged)s unchanged, %(rejected)s rejected.")
            % {k: summary.get(k, 0) for k in ("rows", "created", "updated", "unchanged", "rejected")}
        )
        for issue in (job.issues or [])[:SHOWN_ISSUES]:
            where = (
                f"{issue['sheet']}!{issue['column']}{issue['row']}"
                if issue["column"]
                else f"{issue['sheet']}:{issue['row']}"
            )
            value = f" [{issue['value']}]" if issue.get("value") else ""
            self.stderr.write(f"{where}{value} {issue['message']}")
        more = (summary.get("issues") or 0) - min(len(job.issues or []), SHOWN_ISSUES)
        if more > 0:
            self.stderr.write(_("… and %(n)s more problems.") % {"n": more})
        if summary.get("aborted"):
            self.stderr.write(summary["aborted"])
        elif job.status == JobStatus.COMMITTED:
            self.stdout.write(_("Imported (job %(id)s).") % {"id": job.pk})

"""``shanzhi import_users FILE.csv --passwords OUT.csv``: create staff and villager accounts in bulk.

Columns (UTF-8 CSV with a header): ``username, display_name, phone, role, scope`` where
``role`` is a role code (county_admin, command_centre, department_handler,
village_secretary, village_cadre, grid_worker, villager, supervisor) and ``scope`` the
area code, department code or household number the role covers. Every account gets a
random initial password, written to OUT.csv (readable by its owner only) for handing
out, and must change it at first login. Nothing is created unless every row is valid.
"""

from __future__ import annotations

import csv
import os
import secrets
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from shanzhi.accounts.choices import ROLE_SCOPE_LEVEL, ROLE_SCOPE_LEVELS
from shanzhi.accounts.services import assign_role, create_user
from shanzhi.areas.models import Area, Department
from shanzhi.core.errors import DomainError
from shanzhi.people.models import Household

COLUMNS = ("username", "display_name", "phone", "role", "scope")
WORDS = "abcdefghjkmnpqrstuvwxyz"


def initial_password() -> str:
    """Easy to read aloud or type on a phone: three groups of letters and a number (about 70 bits)."""
    groups = ["".join(secrets.choice(WORDS) for _ in range(4)) for _ in range(3)]
    return "-".join(groups) + f"-{secrets.randbelow(90) + 10}"


def _target(role: str, scope: str) -> dict:
    level = ROLE_SCOPE_LEVEL[role]
    if level == "department":
        return {"department": Department.objects.get(code=scope)}
    if level == "household":
        return {"household": Household.objects.get(number=scope)}
    return {"area": Area.objects.get(code=scope, level__in=ROLE_SCOPE_LEVELS[role])}


class Command(BaseCommand):
    help = "Create accounts from a CSV file; initial passwords go to --passwords and must be changed at first login."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--passwords", required=True, help="new CSV file for the initial passwords")

    def handle(self, *args, file, passwords, **options):
        out = Path(passwords)
        if out.exists():
            raise CommandError(f"{out} already exists")
        try:
            with open(file, encoding="utf-8-sig", newline="") as handle:
                rows = list(csv.DictReader(handle))
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from None
        if not rows or any(c not in rows[0] for c in COLUMNS):
            raise CommandError(f"{file} needs the columns {', '.join(COLUMNS)}")
        created, problems = [], []
        with transaction.atomic():
            for line, row in enumerate(rows, start=2):
                data = {c: (row.get(c) or "").strip() for c in COLUMNS}
                if data["role"] not in ROLE_SCOPE_LEVEL:
                    problems.append(f"第 {line} 行:未知角色 {data['role']!r}")
                    continue
                try:
                    target = _target(data["role"], data["scope"])
                except (Area.DoesNotExist, Department.DoesNotExist, Household.DoesNotExist):
                    problems.append(f"第 {line} 行:找不到管辖对象 {data['scope']!r}")
                    continue
                password = initial_password()
                try:
                    user = create_user(
                        username=data["username"],
                        password=password,
                        display_name=data["display_name"],
                        phone=data["phone"],
                        must_change_password=True,
                    )
                    assign_role(user, data["role"], **target)
                except DomainError as exc:
                    details = "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.fields.items()) or exc.message
                    problems.append(f"第 {line} 行({data['username']}):{details}")
                    continue
                created.append((data["username"], data["display_name"], password))
            if problems:
                raise CommandError("导入失败,未创建任何账号:\n" + "\n".join(problems))
            fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as handle:
                writer = csv.writer(handle)
                writer.writerow(["username", "display_name", "initial_password"])
                writer.writerows(created)
        self.stdout.write(
            self.style.SUCCESS(
                f"已创建 {len(created)} 个账号;初始密码见 {out}(首次登录须修改),请妥善分发后删除该文件。"
            )
        )

"""Accounts created by import get a random initial password and must change it at first login."""

from __future__ import annotations

import csv

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from shanzhi.accounts.models import User
from tests.trust.conftest import page_login, token_request


def _write(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["username", "display_name", "phone", "role", "scope"])
        writer.writerows(rows)


def test_imported_accounts_must_change_their_password(county, tmp_path):
    source, out = tmp_path / "users.csv", tmp_path / "initial.csv"
    _write(
        source,
        [
            ["zhang.wei", "张伟", "13500001111", "grid_worker", "T01V1G2"],
            ["li.na", "李娜", "", "department_handler", "T-ybj"],
            ["wang.family", "王家", "", "villager", "H0002"],
        ],
    )
    call_command("import_users", str(source), "--passwords", str(out), verbosity=0)
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    with open(out, encoding="utf-8-sig") as handle:
        issued = {row["username"]: row["initial_password"] for row in csv.DictReader(handle)}
    assert set(issued) == {"zhang.wei", "li.na", "wang.family"}
    assert len(set(issued.values())) == 3 and all(len(p) >= 10 for p in issued.values())
    zhang = User.objects.get(username="zhang.wei")
    assert zhang.must_change_password and zhang.roles == {"grid_worker"}
    assert zhang.active_assignments[0].area == county.grid2

    client = Client()
    assert page_login(client, "zhang.wei", issued["zhang.wei"]).status_code == 302
    assert client.get("/")["Location"] == "/accounts/password/"
    assert token_request("li.na", issued["li.na"]).json()["code"] == "password_change_required"


def test_import_is_all_or_nothing_with_line_numbers(county, tmp_path):
    source = tmp_path / "users.csv"
    _write(
        source,
        [
            ["ok.user", "好", "", "grid_worker", "T01V1G1"],
            ["bad.role", "错", "", "mayor", "T01"],
            ["bad.scope", "错", "", "village_cadre", "NOPE"],
            ["grid_worker", "重名", "", "grid_worker", "T01V1G1"],
            ["bad.phone", "错", "123", "grid_worker", "T01V1G1"],
        ],
    )
    with pytest.raises(CommandError) as info:
        call_command("import_users", str(source), "--passwords", str(tmp_path / "out.csv"))
    message = str(info.value)
    for line in ("第 3 行", "第 4 行", "第 5 行", "第 6 行"):
        assert line in message
    assert not User.objects.filter(username="ok.user").exists()
    assert not (tmp_path / "out.csv").exists()

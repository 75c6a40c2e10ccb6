"""``shanzhi import`` and ``shanzhi export``: exit status and output."""

from __future__ import annotations

import io
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shanzhi.people.models import Household
from tests.imports.conftest import HOUSEHOLD_HEADER, fingerprint, household_row, write_csv


def call(*args):
    out, err = io.StringIO(), io.StringIO()
    code = 0
    try:
        call_command(*args, stdout=out, stderr=err)
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue(), err.getvalue()


def test_dry_run_then_import(county, tmp_path):
    path = write_csv(tmp_path / "h.csv", [HOUSEHOLD_HEADER, household_row(1), household_row(2)])
    before = fingerprint()
    code, out, err = call("import", "households", str(path), "--dry-run")
    assert code == 0 and "新增 2" in out and fingerprint() == before
    code, out, err = call("import", "households", str(path))
    assert code == 0 and "已导入" in out
    assert Household.objects.filter(number__startswith="HT").count() == 2
    code, out, err = call("import", "households", str(path))
    assert code == 0 and "无变化 2" in out


def test_rejected_rows_exit_non_zero(county, tmp_path):
    path = write_csv(tmp_path / "h.csv", [HOUSEHOLD_HEADER, household_row(1), household_row(2, phone="5")])
    before = fingerprint()
    code, out, err = call("import", "households", str(path), "--dry-run")
    assert code == 1 and "h!F3" in err and "电话" in err
    code, out, err = call("import", "households", str(path))
    assert code == 1 and fingerprint() == before
    rejected = tmp_path / "rejected.xlsx"
    code, out, err = call("import", "households", str(path), "--mode", "good", "--rejected-out", str(rejected))
    assert code == 1 and rejected.exists()
    assert Household.objects.filter(number="HT0001").exists()


def test_unrecognised_columns_stop_until_mapped(county, tmp_path):
    rows = [["户号", "网格", "帮扶人"], ["HT0009", "永和村第1网格", "张三"]]
    path = write_csv(tmp_path / "m.csv", rows)
    code, out, err = call("import", "households", str(path))
    assert code == 2 and "帮扶人" in out and "--map" in err
    code, out, err = call("import", "households", str(path), "--map", "帮扶人=")
    assert code == 0 and Household.objects.filter(number="HT0009").exists()


def test_as_a_user_and_unreadable_files(county, tmp_path):
    path = write_csv(tmp_path / "h.csv", [HOUSEHOLD_HEADER, household_row(1, grid="阿北村第1网格")])
    code, out, err = call("import", "households", str(path), "--user", "township_officer")
    assert code == 1 and "管辖范围" in err
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"\x00\x01" * 5000)
    code, out, err = call("import", "households", str(junk))
    assert code == 2 and "不是表格文件" in err


def test_export_command_round_trips(county, tmp_path):
    target = tmp_path / "out.xlsx"
    code, out, err = call("export", "households", str(target))
    assert code == 0 and target.exists() and "3" in out
    before = fingerprint()
    code, out, err = call("import", "households", str(target))
    assert code == 0 and "无变化 3" in out and fingerprint() == before


def test_the_command_is_on_the_shanzhi_console(county, tmp_path):
    import subprocess
    import sys

    result = subprocess.run(
        [sys.executable, "-m", "shanzhi.cli", "import", "--help"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0 and "--dry-run" in result.stdout
    with pytest.raises(CommandError, match="spaceships"):
        call_command("import", "spaceships", "x.csv")


def test_purge_removes_old_files_and_keeps_the_jobs(county, tmp_path):
    import datetime as dt

    from django.utils import timezone

    from shanzhi.imports.models import ImportJob
    from shanzhi.imports.services import cache_dir

    path = write_csv(tmp_path / "h.csv", [HOUSEHOLD_HEADER, household_row(1), household_row(2, phone="5")])
    call("import", "households", str(path), "--mode", "good")
    job = ImportJob.objects.get()
    stored, rejected = job.file.path, job.rejected_file.path
    code, out, err = call("purge_imports")
    assert "0 files" in out
    ImportJob.objects.filter(pk=job.pk).update(created=timezone.now() - dt.timedelta(days=31))
    code, out, err = call("purge_imports")
    assert "2 files" in out
    job.refresh_from_db()
    assert not job.file and not job.rejected_file and job.summary["created"] == 1
    import os

    assert not os.path.exists(stored) and not os.path.exists(rejected) and not cache_dir(job).exists()


def test_purge_keeps_files_for_the_configured_days(county, tmp_path, settings):
    import datetime as dt

    from django.utils import timezone

    from shanzhi.imports.models import ImportJob
    from shanzhi.jobs import PERIODIC_JOBS

    assert ["purge_imports"] in [job for job, _every in PERIODIC_JOBS]
    path = write_csv(tmp_path / "h.csv", [HOUSEHOLD_HEADER, household_row(1)])
    call("import", "households", str(path), "--mode", "good")
    ImportJob.objects.update(created=timezone.now() - dt.timedelta(days=10))
    settings.SHANZHI_IMPORT_KEEP_DAYS = 14
    assert "0 files" in call("purge_imports")[1]
    settings.SHANZHI_IMPORT_KEEP_DAYS = 7
    assert "1 files" in call("purge_imports")[1]



def test_the_upload_limit_is_read_from_the_environment():
    import os

    env = {**os.environ, "SHANZHI_IMPORT_MAX_MB": "5", "SHANZHI_IMPORT_KEEP_DAYS": "9"}
    code = "from django.conf import settings as s; print(s.SHANZHI_IMPORT_MAX_BYTES, s.SHANZHI_IMPORT_KEEP_DAYS)"
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        env={**env, "DJANGO_SETTINGS_MODULE": "shanzhi.settings"}, capture_output=True, text=True, check=True,
    )
    assert result.stdout.split() == [str(5 * 1024 * 1024), "9"]

"""Keys for personal data: from a file, retired keys, and resumable rotation of every sealed ID number."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from shanzhi.core import crypto
from shanzhi.core.models import AuditLog
from shanzhi.people.models import Resident

KEY_A = "a1" * 32
KEY_B = "b2" * 32


def _numbers() -> dict[int, str]:
    return {r.pk: r.id_number for r in Resident.objects.order_by("pk")}


def _key_ids() -> set[str]:
    return {crypto.key_id_of(v) for v in Resident.objects.values_list("id_number_sealed", flat=True)}


def test_key_files_are_read_and_checked(tmp_path):
    good = tmp_path / "field.key"
    good.write_text(KEY_A.upper() + "\n", encoding="ascii")
    assert crypto.read_key_file(good) == KEY_A
    bad = tmp_path / "bad.key"
    bad.write_text("abcd", encoding="ascii")
    with pytest.raises(crypto.KeyMaterialError, match="64"):
        crypto.read_key_file(bad)
    with pytest.raises(crypto.KeyMaterialError):
        crypto.read_key_file(tmp_path / "missing.key")
    listing = tmp_path / "old.keys"
    listing.write_text(f"# retired 2026-01\n{KEY_A}\n\n{KEY_B}\n", encoding="ascii")
    assert crypto.read_key_list_file(listing) == [KEY_A, KEY_B]


def test_settings_take_the_key_from_a_file_and_refuse_bad_ones(tmp_path):
    import os
    import subprocess
    import sys

    key_file = tmp_path / "field.key"
    key_file.write_text(KEY_A, encoding="ascii")
    code = "from django.conf import settings; print(settings.SHANZHI_FIELD_KEY, settings.SHANZHI_FIELD_KEY_OLD)"
    base = {k: v for k, v in os.environ.items() if not k.startswith("SHANZHI_FIELD_KEY")}
    base["DJANGO_SETTINGS_MODULE"] = "shanzhi.settings"
    run = [sys.executable, "-c", "import django; django.setup(); " + code]
    ok = subprocess.run(
        run,
        env={**base, "SHANZHI_FIELD_KEY_FILE": str(key_file), "SHANZHI_FIELD_KEY_OLD": KEY_B},
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.split() == [KEY_A, f"['{KEY_B}']"]
    bad = subprocess.run(
        run, env={**base, "SHANZHI_FIELD_KEY_OLD": "not-hex"}, capture_output=True, text=True, check=False
    )
    assert bad.returncode != 0 and "SHANZHI_FIELD_KEY_OLD is not hexadecimal" in bad.stderr


def test_retired_keys_open_old_values_and_new_values_use_the_current_key(settings):
    settings.SHANZHI_FIELD_KEY, settings.SHANZHI_FIELD_KEY_OLD = KEY_A, []
    sealed_a = crypto.encrypt("230381194603121114")
    settings.SHANZHI_FIELD_KEY, settings.SHANZHI_FIELD_KEY_OLD = KEY_B, [KEY_A]
    assert crypto.decrypt(sealed_a) == "230381194603121114"
    assert crypto.key_id_of(crypto.encrypt("x")) == crypto.key_id_for(KEY_B)
    assert crypto.lookup_hashes("x") == [
        crypto.lookup_hash("x", material=KEY_B),
        crypto.lookup_hash("x", material=KEY_A),
        crypto.lookup_hash("x", material=""),
    ]
    settings.SHANZHI_FIELD_KEY_OLD = []
    with pytest.raises(crypto.DecryptionError, match="neither the current nor a retired key"):
        crypto.decrypt(sealed_a)


def test_online_rotation_reseals_every_id_number_and_is_resumable(county, settings):
    before = _numbers()
    assert len(before) == 3 and _key_ids() == {crypto.current_key_id()}  # sealed with the derived key
    # Step 1: the new key becomes current; the old (derived) one still opens old values.
    settings.SHANZHI_FIELD_KEY = KEY_A
    assert _numbers() == before
    # Pretend an earlier run was interrupted after one row.
    first = Resident.objects.order_by("pk").first()
    Resident.objects.filter(pk=first.pk).update(
        id_number_sealed=crypto.encrypt(before[first.pk]), id_number_hash=crypto.lookup_hash(before[first.pk])
    )
    from io import StringIO

    out = StringIO()
    call_command("rotate_field_key", "--dry-run", stdout=out)
    assert "待轮换 2 行" in out.getvalue()
    out = StringIO()
    call_command("rotate_field_key", "--batch-size", "1", stdout=out)
    assert "2 行改用密钥" in out.getvalue()
    assert _key_ids() == {crypto.key_id_for(KEY_A)}
    assert _numbers() == before
    for resident in Resident.objects.all():
        assert resident.id_number_hash == crypto.lookup_hash(before[resident.pk], material=KEY_A)
    assert AuditLog.objects.get(action="core.field_key.rotated").extra["rows"] == 2
    # Done: the retired key is no longer needed.
    settings.SHANZHI_FIELD_KEY_OLD = []
    out = StringIO()
    call_command("rotate_field_key", stdout=out)
    assert "0 行改用密钥" in out.getvalue()


def test_offline_rotation_to_a_key_file(county, settings, tmp_path):
    before = _numbers()
    settings.SHANZHI_FIELD_KEY = KEY_A
    call_command("rotate_field_key", verbosity=0)
    key_file = tmp_path / "next.key"
    key_file.write_text(KEY_B, encoding="ascii")
    call_command("rotate_field_key", "--new-key-file", str(key_file), verbosity=0)
    assert _key_ids() == {crypto.key_id_for(KEY_B)}
    settings.SHANZHI_FIELD_KEY, settings.SHANZHI_FIELD_KEY_OLD = KEY_B, []
    assert _numbers() == before
    # Searching by ID number still finds the resident under the new key.
    number = before[county.resident.pk]
    assert Resident.objects.get(id_number_hash=crypto.lookup_hash(number)).pk == county.resident.pk


def test_rotation_stops_on_a_value_no_known_key_opens(county, settings):
    settings.SHANZHI_FIELD_KEY = KEY_A
    stray = crypto.encrypt("230381194603121114", material=KEY_B)
    Resident.objects.filter(pk=county.resident.pk).update(id_number_sealed=stray)
    with pytest.raises(CommandError, match="未知密钥"):
        call_command("rotate_field_key", verbosity=0)
    bad_file = __import__("pathlib").Path(settings.BASE_DIR) / "var" / "no-such.key"
    with pytest.raises(CommandError, match="cannot read key file"):
        call_command("rotate_field_key", "--new-key-file", str(bad_file), verbosity=0)

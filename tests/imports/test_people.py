"""Households and residents: safe re-import, audit, the search index and the sealed ID numbers."""

from __future__ import annotations

import pytest

from shanzhi.core import crypto
from shanzhi.core.audit import verify_chain
from shanzhi.core.models import AuditLog
from shanzhi.people.models import Household, HouseholdTag, Resident
from shanzhi.people.services import refresh_search_text
from tests.factories import make_id_number
from tests.imports.conftest import HOUSEHOLD_HEADER, fingerprint, household_row, run, write_csv, write_xlsx

RESIDENT_HEADER = ["户号", "姓名", "身份证号", "与户主关系", "手机号", "是否党员", "是否外出务工", "人员状态"]


def test_households_go_in_like_the_services_write_them(county, tmp_path):
    path = write_xlsx(tmp_path / "h.xlsx", {"导入数据": [HOUSEHOLD_HEADER] + [household_row(n) for n in range(1, 4)]})
    job, report = run("households", path, county.county_admin)
    assert report.committed and job.summary["created"] == 3
    household = Household.objects.get(number="HT0001")
    head = household.head
    number = household_row(1)[3]
    # Sealed as people.services seals: SM4 ciphertext, keyed hash, last 4, prefix 6, sex and birth.
    assert head.id_number == number and head.id_number_sealed.startswith("sm4gcm:")
    assert head.id_number_hash == crypto.lookup_hash(number)
    assert (head.id_prefix6, head.id_last4) == (number[:6], number[-4:])
    assert head.birth_date.isoformat() == "1970-01-01" and head.relation == "head"
    assert head.name_initials == "wem"
    # The search index is what the services would build.
    stored = household.search_text
    refresh_search_text(household)
    assert stored == Household.objects.get(pk=household.pk).search_text
    assert Household.objects.search("wem").filter(number="HT0001").exists()
    assert Household.objects.search(number[-4:]).filter(number="HT0001").exists()
    assert set(household.tags.values_list("name", flat=True)) == {"低保户"}
    created = AuditLog.objects.filter(action="people.household.created", object_id=str(household.pk)).get()
    assert created.actor == county.county_admin and created.after["grid"] == county.grid.pk
    assert created.extra["import_job"] == job.pk and created.extra["row"] == 2
    resident_audit = AuditLog.objects.get(action="people.resident.created", object_id=str(head.pk))
    assert resident_audit.after["id_number"] == number[:6] + "********" + number[-4:]
    assert number not in str(resident_audit.after)


def test_reimport_is_unchanged_and_changes_are_audited_with_before_and_after(county, tmp_path):
    rows = [HOUSEHOLD_HEADER] + [household_row(n) for n in range(1, 4)]
    path = write_csv(tmp_path / "h.csv", rows)
    run("households", path, county.county_admin)
    before = fingerprint()
    job, report = run("households", path, county.county_admin)
    assert job.summary == {**job.summary, "created": 0, "updated": 0, "unchanged": 3, "rejected": 0}
    assert fingerprint() == before
    changed = [list(r) for r in rows]
    changed[1][5] = "13700009999"  # a new phone
    changed[2][6] = "低保户、独居老人"  # a new tag
    changed[3][2] = "王四平"  # the head's name corrected (with the same ID number)
    job, report = run("households", write_csv(tmp_path / "h2.csv", changed), county.county_admin)
    assert (job.summary["updated"], job.summary["unchanged"]) == (3, 0)
    first = Household.objects.get(number="HT0001")
    assert first.phone == "13700009999" and "13700009999" in first.search_text
    update = AuditLog.objects.filter(action="people.household.updated", object_id=str(first.pk)).latest("id")
    assert update.before == {"phone": "13900000001"} and update.after == {"phone": "13700009999"}
    tags = AuditLog.objects.filter(
        action="people.household.updated", object_id=str(Household.objects.get(number="HT0002").pk)
    ).latest("id")
    alone = HouseholdTag.objects.get(name="独居老人").pk
    assert alone in tags.after["tags"] and alone not in tags.before["tags"]
    third = Household.objects.get(number="HT0003")
    assert third.head.name == "王四平" and "wsp" in third.search_text
    rename = AuditLog.objects.filter(action="people.resident.updated", object_id=str(third.head_id)).latest("id")
    assert rename.before == {"name": household_row(3)[2]} and rename.after == {"name": "王四平"}
    # The bulk audit rows sit in the tamper-evident chain like every other row.
    chain = verify_chain()
    assert chain.ok and chain.rows == AuditLog.objects.count()


def test_blank_cells_never_erase(county, tmp_path):
    run("households", write_csv(tmp_path / "a.csv", [HOUSEHOLD_HEADER, household_row(1)]), county.county_admin)
    row = household_row(1)
    row[4] = row[5] = row[6] = ""
    job, _ = run("households", write_csv(tmp_path / "b.csv", [HOUSEHOLD_HEADER, row]), county.county_admin)
    assert job.summary["unchanged"] == 1
    household = Household.objects.get(number="HT0001")
    assert household.address and household.phone and household.tags.exists()


def test_row_level_report(county, tmp_path):
    rows = [HOUSEHOLD_HEADER]
    rows.append(household_row(1, grid="不存在的网格"))
    bad_phone = household_row(2, phone="12345")
    rows.append(bad_phone)
    rows.append(household_row(3))
    rows.append(household_row(3))  # the same household twice
    tag = household_row(5)
    tag[6] = "五好家庭"
    rows.append(tag)
    taken = household_row(6)
    taken[3] = county.resident.id_number  # already the head of H0001
    rows.append(taken)
    outside = household_row(7, grid="阿北村第1网格")
    rows.append(outside)
    path = write_xlsx(tmp_path / "bad.xlsx", {"永和村": rows})
    before = fingerprint()
    job, report = run("households", path, county.township_officer)
    assert not report.committed and fingerprint() == before
    found = {(i["row"], i["code"]) for i in job.issues}
    assert (2, "unknown_area") in found
    assert (3, "phone_format") in found
    assert (4, "duplicate_in_file") in found and (5, "duplicate_in_file") in found
    assert (6, "unknown_tag") in found
    assert (7, "id_registered") in found
    assert (8, "outside_sheet_area") in found or (8, "out_of_scope") in found
    by_row = {i["row"]: i for i in job.issues}
    assert by_row[2]["column"] == "B" and by_row[2]["value"] == "不存在的网格" and "网格" in by_row[2]["message"]
    assert "电话号码格式不正确" in by_row[3]["message"] or "手机号" in by_row[3]["message"]
    assert "五好家庭" in by_row[6]["message"] and "低保户" in by_row[6]["message"]
    assert "H0001" in by_row[7]["message"]
    # Good rows mode: the one good row goes in, the others come back in a workbook with an error column.
    job, report = run("households", path, county.township_officer, mode="good")
    assert report.committed and job.summary["created"] == 0  # HT0003 is duplicated, so no row is good
    assert job.rejected_file


def test_good_rows_and_the_rejected_rows_workbook_round_trip(county, tmp_path):
    import openpyxl

    rows = [HOUSEHOLD_HEADER, household_row(1), household_row(2, phone="99999"), household_row(3)]
    path = write_xlsx(tmp_path / "mixed.xlsx", {"永和村": [["永和村农户表"], *rows]})
    job, report = run("households", path, county.village_secretary, mode="good")
    assert report.committed and (job.summary["created"], job.summary["rejected"]) == (2, 1)
    rejected = openpyxl.load_workbook(job.rejected_file.path)
    sheet = rejected["永和村"]
    values = list(sheet.values)
    assert list(values[0]) == [*HOUSEHOLD_HEADER, "错误说明"]
    assert values[1][0] == "HT0002" and "电话" in values[1][-1]
    assert len(values) == 2
    # Fix the phone in the returned file and upload it again: only that row goes in.
    sheet.cell(row=2, column=6, value="13900000002")
    fixed = tmp_path / "fixed.xlsx"
    rejected.save(fixed)
    job, report = run("households", fixed, county.village_secretary)
    assert report.committed and job.summary["created"] == 1
    assert Household.objects.get(number="HT0002").phone == "13900000002"


def test_scope_is_checked_per_row(county, tmp_path):
    rows = [HOUSEHOLD_HEADER, household_row(1), household_row(2, grid="珍宝村第1网格")]
    path = write_csv(tmp_path / "scope.csv", rows)
    before = fingerprint()
    job, report = run("households", path, county.village_secretary)  # 永和村 only
    assert not report.committed and fingerprint() == before
    assert [(i["row"], i["code"]) for i in job.issues] == [(3, "out_of_scope")]
    existing = [HOUSEHOLD_HEADER, ["H0100", "", "", "", "", "13812340000", "", ""]]  # 阿北乡's household
    job, report = run("households", write_csv(tmp_path / "other.csv", existing), county.township_officer)
    assert [(i["row"], i["code"]) for i in job.issues] == [(2, "out_of_scope")]
    job, report = run("households", path, county.township_officer)  # the township covers both villages
    assert report.committed and job.summary["created"] == 2


def test_residents(county, tmp_path):
    run("households", write_csv(tmp_path / "h.csv", [HOUSEHOLD_HEADER, household_row(1)]), county.county_admin)
    spouse = make_id_number("19720303", 402)
    son = make_id_number("19950505", 411)
    rows = [
        RESIDENT_HEADER,
        ["HT0001", "李秀英", spouse, "妻", "13900001234", "群众", "否", "在册"],
        ["HT0001", "王小明", son, "长子", "", "中共党员", "外出务工", ""],
        ["H0002", "刘小红", make_id_number("20010101", 421), "女", "", "否", "否", "在册"],
    ]
    job, report = run("residents", write_csv(tmp_path / "r.csv", rows), county.county_admin)
    assert report.committed and job.summary["created"] == 3
    household = Household.objects.get(number="HT0001")
    assert list(household.residents.order_by("id").values_list("name", "relation")) == [
        (household_row(1)[2], "head"),
        ("李秀英", "spouse"),
        ("王小明", "son"),
    ]
    son_row = Resident.objects.get(id_number_hash=crypto.lookup_hash(son))
    assert son_row.is_party_member and son_row.is_away_for_work and son_row.gender == "male"
    assert "lxy" in Household.objects.get(pk=household.pk).search_text
    assert "#" + spouse[-4:].lower() in Household.objects.get(pk=household.pk).search_text
    # Re-import: unchanged; then a move and a phone change, audited.
    job, _ = run("residents", write_csv(tmp_path / "r.csv", rows), county.county_admin)
    assert job.summary["unchanged"] == 3
    rows[2][0] = "H0002"
    rows[1][4] = "13900005678"
    job, _ = run("residents", write_csv(tmp_path / "r2.csv", rows), county.county_admin)
    assert job.summary["updated"] == 2
    son_row.refresh_from_db()
    assert son_row.household.number == "H0002"
    assert son_row.name not in Household.objects.get(number="HT0001").search_text
    assert "wxm" in Household.objects.get(number="H0002").search_text
    move = AuditLog.objects.filter(action="people.resident.updated", object_id=str(son_row.pk)).latest("id")
    assert move.before == {"household": household.pk} and move.after == {"household": son_row.household_id}
    assert move.extra["id_number"].count("*") == 8
    assert verify_chain().ok


def test_resident_problems(county, tmp_path):
    rows = [
        RESIDENT_HEADER + ["出生日期", "性别"],
        ["H9999", "赵一", make_id_number("19800101", 501), "子", "", "", "", "", "", ""],
        ["H0001", "赵二", make_id_number("19800101", 511), "户主", "", "", "", "", "", ""],
        ["H0001", "赵三", make_id_number("19800101", 521), "子", "", "", "", "", "1980-02-01", "女"],
        ["H0001", "赵四", make_id_number("19800101", 531), "邻居", "", "", "", "", "", ""],
        ["H0100", "赵五", make_id_number("19800101", 541), "子", "", "", "", "", "", ""],
    ]
    path = write_xlsx(tmp_path / "r.xlsx", {"人员": rows})
    before = fingerprint()
    job, report = run("residents", path, county.village_secretary)
    assert not report.committed and fingerprint() == before
    found = {(i["row"], i["code"]) for i in job.issues}
    assert found == {
        (2, "unknown_household"),
        (3, "head_conflict"),
        (4, "birth_mismatch"),
        (4, "gender_mismatch"),
        (5, "unknown_choice"),
        (6, "out_of_scope"),
    }


def test_during_a_key_rotation_rows_still_under_the_retired_key_are_found(county, tmp_path, settings):
    """The county's residents are hashed with the derived key; a new key becomes current mid-rotation."""
    from shanzhi.core.errors import InvalidInput
    from shanzhi.people.services import add_resident

    number = county.resident.id_number
    settings.SHANZHI_FIELD_KEY = "a1" * 32  # the derived key is now a retired one
    assert crypto.lookup_hash(number) != county.resident.id_number_hash
    # The page/API service refuses the number as already registered …
    with pytest.raises(InvalidInput) as refused:
        add_resident(county.household, name="重复", id_number=number, actor=county.county_admin)
    assert "id_number" in refused.value.fields
    # … and so does an import, naming the household the number belongs to.
    taken = household_row(6)
    taken[3] = number
    path = write_csv(tmp_path / "taken.csv", [HOUSEHOLD_HEADER, taken])
    before = fingerprint()
    job, report = run("households", path, county.township_officer)
    assert not report.committed and fingerprint() == before
    issue = next(i for i in job.issues if i["code"] == "id_registered")
    assert "H0001" in issue["message"]

"""Bringing a township's spreadsheet in, clicked through in a real browser (screenshots for the guide)."""

from __future__ import annotations

import csv

import openpyxl

from tests.browser.conftest import login, screenshot
from tests.factories import make_id_number

HEADER = ["序号", "行政村", "网格名称", "户编号", "户主", "公民身份号码", "手机号", "家庭住址", "包户干部"]


def _township_workbook(path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "珍宝岛乡"
    sheet.append(["珍宝岛乡新增农户花名册(2024年)"])
    sheet.merge_cells("A1:I1")
    sheet.append(HEADER)
    for n in range(1, 6):
        sheet.append(
            [
                n,
                "永和村",
                "第1网格",
                f"ZBD2024{n:04d}",
                "孙" + "一二三四五"[n - 1] + "海",
                make_id_number("19620304", 700 + n, region="230382"),
                f"1360000{n:04d}",
                f"永和村新街{n}号",
                "张干部",
            ]
        )
    workbook.save(path)
    return path


def test_the_county_imports_a_township_workbook(demo_site, desktop, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    path = _township_workbook(tmp_path / "珍宝岛乡新增农户.xlsx")
    login(desktop, "demo-county")
    desktop.click("nav >> text=导入导出")
    desktop.wait_for_load_state("networkidle")
    assert desktop.locator("h1").inner_text() == "导入导出"
    assert desktop.locator("table.kinds tbody tr").count() == 8
    screenshot(desktop, "import-index")

    desktop.select_option("select[name=kind]", "households")
    desktop.set_input_files("input[name=file]", str(path))
    desktop.click("main form[enctype] button[type=submit]")
    desktop.wait_for_load_state("networkidle")
    # The header was found under the title row; only 包户干部 is unknown.
    assert "表头在第 2 行" in desktop.locator("section.sheet h3").inner_text()
    unmapped = desktop.locator("tr.unmapped")
    assert unmapped.count() == 1 and "包户干部" in unmapped.inner_text()
    assert desktop.locator("select[name=sheet-0-area] option:checked").inner_text().strip() == "珍宝岛乡"
    screenshot(desktop, "import-mapping")

    desktop.select_option("select[name='sheet-0-col-包户干部']", "")
    desktop.click("text=保存并检查")
    desktop.wait_for_load_state("networkidle")
    assert "每一行都可以导入" in desktop.locator(".messages").inner_text(), desktop.locator("table.issues").inner_text()
    assert desktop.locator("[data-count=created]").inner_text() == "5"
    screenshot(desktop, "import-report")

    desktop.click("text=确认导入")
    desktop.wait_for_load_state("networkidle")
    assert "导入完成:新增 5" in desktop.locator(".messages").inner_text()
    assert "已导入" in desktop.locator("span.tag").first.inner_text()
    screenshot(desktop, "import-done")

    desktop.goto_path("/households/?q=ZBD20240003")
    desktop.wait_for_load_state("networkidle")
    assert "孙三海" in desktop.locator("ul.households").inner_text()


def test_a_village_secretary_sees_each_problem_on_a_phone(demo_site, phone, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    path = tmp_path / "永和村.csv"
    with path.open("w", encoding="gbk", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["户号", "所属网格", "户主姓名", "户主身份证号", "联系电话"])
        good = make_id_number("19700101", 801, region="230382")
        bad = good[:17] + ("0" if good[17] != "0" else "1")
        writer.writerow(["YH20249001", "永和村第1网格", "钱一", good, "13700000001"])
        writer.writerow(
            ["YH20249002", "永和村第9网格", "钱二", make_id_number("19700101", 811, region="230382"), "1370000"]
        )
        writer.writerow(["YH20249003", "永和村第1网格", "钱三", bad, "13700000003"])
    login(phone, "demo-village")
    phone.goto_path("/imports/")
    phone.set_input_files("input[name=file]", str(path))
    phone.click("main form[enctype] button[type=submit]")
    phone.wait_for_load_state("networkidle")
    assert "有 2 行有问题" in phone.locator(".messages").inner_text()
    problems = phone.locator("table.issues tbody tr")
    assert problems.count() == 3
    text = phone.locator("table.issues").inner_text()
    assert "未知的网格" in text and "电话号码格式不正确" in text and "校验位" in text
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "import-problems-phone")

    phone.locator("label.radio:has-text('先导入无误的行')").click()
    phone.click("text=确认导入")
    phone.wait_for_load_state("networkidle")
    assert "新增 1" in phone.locator(".messages").inner_text()
    with phone.expect_download() as download:
        phone.click("text=下载被拒绝的行")
    saved = tmp_path / "rejected.xlsx"
    download.value.save_as(saved)
    rows = list(openpyxl.load_workbook(saved).active.values)
    assert rows[0][-1] == "错误说明" and len(rows) == 3
    screenshot(phone, "import-good-rows-phone")

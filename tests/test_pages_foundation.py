from shanzhi.core.models import AuditLog
from shanzhi.people.models import Household, Resident
from tests.factories import make_id_number


def test_login_page_in_chinese_and_with_phone(county, client):
    page = client.get("/accounts/login/")
    assert "用户名或手机号" in page.content.decode()
    county.village_secretary.phone = "13711112222"
    county.village_secretary.save()
    response = client.post("/accounts/login/", {"username": "13711112222", "password": "test-password-42"})
    assert response.status_code == 302
    assert AuditLog.objects.filter(action="accounts.login", actor=county.village_secretary).exists()


def test_failed_login_shows_a_chinese_message_and_is_audited(county, client):
    response = client.post("/accounts/login/", {"username": "grid_worker", "password": "wrong-password"})
    assert response.status_code == 200
    assert "用户名(或手机号)或密码不正确" in response.content.decode()
    assert AuditLog.objects.filter(action="accounts.login_failed", outcome="failure").count() == 1


def test_logout_and_password_change(county, page_as):
    client = page_as("grid_worker")
    response = client.post("/accounts/password/", {"old_password": "test-password-42",
                                                   "new_password1": "short", "new_password2": "short"})
    assert response.status_code == 200
    assert "errorlist" in response.content.decode()
    response = client.post("/accounts/password/", {"old_password": "test-password-42",
                                                   "new_password1": "Hulin-grid-2026!", "new_password2": "Hulin-grid-2026!"})
    assert response.status_code == 302
    assert AuditLog.objects.filter(action="accounts.password_changed").count() == 1
    client.post("/accounts/logout/")
    assert client.get("/").status_code == 302


def test_household_form_shows_field_level_chinese_errors_and_saves_nothing(county, page_as):
    client = page_as("village_secretary")
    before = Household.objects.count()
    response = client.post("/households/new/", {"number": "H0001", "grid": county.grid.pk, "phone": "12345",
                                                "status": "active"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "电话号码格式不正确" in html
    assert Household.objects.count() == before
    response = client.post("/households/new/", {"number": "H0001", "grid": county.grid.pk, "phone": "13912345678",
                                                "status": "active"})
    assert "户编号 H0001 已存在" in response.content.decode()
    response = client.post("/households/new/", {"number": "H0050", "grid": county.far_grid.pk, "status": "active"})
    assert "请选择您辖区内的网格" in response.content.decode()
    assert Household.objects.count() == before


def test_create_household_and_member_through_pages(county, page_as):
    client = page_as("grid_worker")
    response = client.post("/households/new/", {"number": "H0077", "grid": county.grid.pk, "phone": "13912345678",
                                                "address": "永和村东街7号", "status": "active",
                                                "tags": [county.household.tags.first().pk]})
    assert response.status_code == 302, response.content.decode()[:2000]
    household = Household.objects.get(number="H0077")
    bad = client.post(f"/households/{household.pk}/residents/new/", {
        "name": "王小明", "id_number": make_id_number("19900101", 111)[:-1] + "0", "relation": "head"})
    assert "身份证号码校验位不正确" in bad.content.decode()
    assert Resident.objects.filter(household=household).count() == 0
    good = client.post(f"/households/{household.pk}/residents/new/", {
        "name": "王小明", "id_number": make_id_number("19900101", 111), "relation": "head", "phone": "13912345678"})
    assert good.status_code == 302
    household.refresh_from_db()
    assert household.head.name == "王小明"
    assert household in Household.objects.search("wxm")


def test_detail_page_masks_and_reveal_is_audited(county, page_as):
    full_id = county.resident.id_number
    html = page_as("township_officer").get(f"/households/{county.household.pk}/").content.decode()
    assert full_id not in html and "13812345678" not in html
    assert "138****5678" in html
    admin = page_as("county_admin")
    html = admin.get(f"/households/{county.household.pk}/").content.decode()
    assert full_id not in html
    html = admin.get(f"/households/{county.household.pk}/?reveal=1").content.decode()
    assert full_id in html
    assert AuditLog.objects.filter(action="people.household.revealed", actor=county.county_admin).count() == 1


def test_area_browser_counts(county, page_as):
    html = page_as("township_officer").get("/areas/").content.decode()
    assert "永和村" in html and "珍宝村" in html and "阿北村" not in html
    html = page_as("county_admin").get(f"/areas/{county.county.pk}/").content.decode()
    assert "珍宝岛乡" in html and "阿北乡" in html


def test_household_list_search_and_htmx_partial(county, page_as):
    client = page_as("village_secretary")
    html = client.get("/households/", {"q": "lgj"}).content.decode()
    assert "李桂君" in html and "刘恒军" not in html
    partial = client.get("/households/", {"q": "刘"}, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in partial and "刘恒军" in partial


def test_audit_browser_filters(county, page_as):
    admin = page_as("county_admin")
    html = admin.get("/audit/", {"action": "accounts.login"}).content.decode()
    assert "accounts.login" in html and "people.household.created" not in html
    entry = AuditLog.objects.filter(action="people.household.created").first()
    assert entry.object_repr in admin.get(f"/audit/{entry.pk}/").content.decode()


def test_english_is_available(county, page_as):
    client = page_as("grid_worker")
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get("/").content.decode()
    assert "My grids" in html or "Hello" in html

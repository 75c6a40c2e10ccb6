"""The categories a new county starts with; county admins edit the list afterwards."""

from __future__ import annotations

from shanzhi.cases.choices import DeadlineUnit

H, WD = DeadlineUnit.HOURS, DeadlineUnit.WORKING_DAYS

# code, name, (check-in limit, unit), (resolution limit, unit), lead bureau code, co-handling bureau codes
DEFAULT_CATEGORIES = [
    ("infrastructure", "基础设施", (1, WD), (10, WD), "zjj", ("jtysj", "swj")),
    ("medical_eldercare", "医疗养老报销", (1, WD), (5, WD), "ybj", ("rsj",)),
    ("dispute", "矛盾纠纷", (24, H), (5, WD), "sfj", ()),
    ("safety_hazard", "安全隐患", (4, H), (48, H), "yjglj", ()),
    ("sanitation", "环境卫生", (1, WD), (5, WD), "sthjj", ()),
    ("fire", "消防", (2, H), (24, H), "yjglj", ()),
    ("social_assistance", "民政救助", (1, WD), (10, WD), "mzj", ()),
    ("other", "其他", (1, WD), (10, WD), "", ()),
]


def ensure_default_categories(category_model=None, department_model=None, *, county_code: str | None = None) -> list:
    """Create the default categories that are missing; link their departments when the codes exist.

    Department codes are looked up as ``<county code>-<bureau code>`` when ``county_code`` is
    given (the demo county), else by the bureau code's suffix.
    """
    if category_model is None:
        from shanzhi.areas.models import Department as department_model
        from shanzhi.cases.models import Category as category_model
    created = []
    for order, (code, name, check_in, resolution, lead, co) in enumerate(DEFAULT_CATEGORIES):
        category, made = category_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "check_in_limit": check_in[0],
                "check_in_unit": check_in[1],
                "resolution_limit": resolution[0],
                "resolution_unit": resolution[1],
                "sort_order": order,
            },
        )
        if made:
            created.append(category)
        if department_model is not None and lead and category.default_department_id is None:
            category.default_department = _department(department_model, lead, county_code)
            category.save(update_fields=["default_department"])
            if category.default_department is not None:
                category.default_co_departments.set(
                    [d for d in (_department(department_model, c, county_code) for c in co) if d is not None]
                )
    return created


def _department(model, code: str, county_code: str | None):
    qs = model.objects.filter(active=True)
    if county_code:
        return qs.filter(code=f"{county_code}-{code}").first()
    return qs.filter(code__endswith=f"-{code}", kind="county_bureau").order_by("pk").first()

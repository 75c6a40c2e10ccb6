from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from shanzhi.areas.models import Area
from shanzhi.core.errors import DomainError, Forbidden
from shanzhi.core.forms import apply_domain_error
from shanzhi.core.masking import may_view_sensitive
from shanzhi.core.scoping import get_in_scope
from shanzhi.people.choices import HouseholdStatus
from shanzhi.people.filters import filtered_households, page_of_households
from shanzhi.people.forms import HouseholdForm, ResidentForm
from shanzhi.people.models import Household, HouseholdTag, Resident
from shanzhi.people.services import (
    add_resident,
    create_household,
    reveal_household,
    update_household,
    update_resident,
)


@login_required
def household_list(request):
    user = request.user
    if not user.is_staff_member:
        raise Forbidden()
    params = request.GET
    area = None
    if params.get("area"):
        area = get_in_scope(Area.objects, user, pk=params["area"])
    tag = params.get("tag") or None
    status = params.get("status", HouseholdStatus.ACTIVE)
    if status not in HouseholdStatus.values:
        status = None
    qs = filtered_households(user, q=params.get("q", "").strip()[:50], area=area, tag=tag, status=status)
    page = Paginator(qs.order_by("number"), 20).get_page(params.get("page"))
    page.object_list = page_of_households(qs, page.start_index() - 1 if page.paginator.count else 0, 20)
    query = params.copy()
    query.pop("page", None)
    context = {
        "page": page,
        "params": params,
        "area": area,
        "query": query.urlencode(),
        "tags": HouseholdTag.objects.filter(active=True),
        "statuses": HouseholdStatus.choices,
        "can_add": user.has_perm("people.add_household"),
    }
    if request.headers.get("HX-Request"):
        return render(request, "people/_household_results.html", context)
    return render(request, "people/household_list.html", context)


@login_required
def household_detail(request, pk: int):
    user = request.user
    household = get_in_scope(
        Household.objects.select_related("grid__parent__parent", "head").prefetch_related("tags"), user, pk=pk
    )
    residents = list(household.residents.order_by("id"))
    revealed = None
    if request.GET.get("reveal") == "1":
        if not may_view_sensitive(user):
            raise Forbidden()
        revealed = reveal_household(household, actor=user, purpose="page")
    for resident in residents:
        full = revealed["residents"].get(resident.pk) if revealed else None
        resident.shown_id = full["id_number"] if full else resident.masked_id_number
        resident.shown_phone = full["phone"] if full else resident.masked_phone
    return render(
        request,
        "people/household_detail.html",
        {
            "household": household,
            "residents": residents,
            "revealed": revealed is not None,
            "shown_phone": revealed["phone"] if revealed else household.masked_phone,
            "can_reveal": may_view_sensitive(user),
            "can_edit": user.has_perm("people.change_household") and user.is_staff_member,
            "can_add_resident": user.has_perm("people.add_resident") and user.is_staff_member,
        },
    )


@login_required
def household_create(request):
    user = request.user
    if not user.has_perm("people.add_household"):
        raise Forbidden()
    form = HouseholdForm(request.POST or None, user=user, initial={"grid": request.GET.get("grid")})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            household = create_household(
                number=data["number"],
                grid=data["grid"],
                address=data["address"],
                phone=data["phone"],
                tags=list(data["tags"]),
                actor=user,
            )
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Household %(number)s registered.") % {"number": household.number})
            return redirect("people:household_detail", pk=household.pk)
    return render(request, "people/household_form.html", {"form": form, "household": None})


@login_required
def household_edit(request, pk: int):
    user = request.user
    if not user.has_perm("people.change_household"):
        raise Forbidden()
    household = get_in_scope(Household.objects, user, pk=pk)
    initial = {
        "number": household.number,
        "grid": household.grid_id,
        "address": household.address,
        "phone": household.masked_phone,  # staff edit without seeing the full number (see resident_edit)
        "tags": list(household.tags.all()),
        "status": household.status,
    }
    form = HouseholdForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {**form.cleaned_data, "tags": list(form.cleaned_data["tags"])}
        if changes.get("phone") == household.masked_phone:
            changes.pop("phone")  # left as shown: keep the stored number
        try:
            update_household(household, actor=user, **changes)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("people:household_detail", pk=household.pk)
    return render(request, "people/household_form.html", {"form": form, "household": household})


@login_required
def resident_create(request, pk: int):
    user = request.user
    if not user.has_perm("people.add_resident"):
        raise Forbidden()
    household = get_in_scope(Household.objects, user, pk=pk)
    form = ResidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            add_resident(household, actor=user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Member added."))
            return redirect("people:household_detail", pk=household.pk)
    return render(request, "people/resident_form.html", {"form": form, "household": household, "resident": None})


@login_required
def resident_edit(request, pk: int):
    user = request.user
    if not user.has_perm("people.change_resident"):
        raise Forbidden()
    resident = get_in_scope(Resident.objects.select_related("household"), user, pk=pk)
    initial = {
        "name": resident.name,
        "relation": resident.relation,
        "phone": resident.masked_phone,
        "is_party_member": resident.is_party_member,
        "is_away_for_work": resident.is_away_for_work,
    }
    form = ResidentForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and form.is_valid():
        changes = dict(form.cleaned_data)
        if not changes["id_number"]:
            changes.pop("id_number")
        if changes["phone"] == resident.masked_phone:
            changes.pop("phone")  # left as shown: keep the stored number
        try:
            update_resident(resident, actor=user, **changes)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("people:household_detail", pk=resident.household_id)
    return render(
        request, "people/resident_form.html", {"form": form, "household": resident.household, "resident": resident}
    )

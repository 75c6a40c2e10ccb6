from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from shanzhi.areas.models import Area
from shanzhi.core import crypto
from shanzhi.core.masking import mask_id_number, mask_phone
from shanzhi.core.scoping import ScopedQuerySet, subtree_q
from shanzhi.people.choices import Gender, HouseholdStatus, Relation, ResidentStatus


class HouseholdTag(models.Model):
    """One entry of the county's managed list of household tags (独居老人, 低保户 ...)."""

    code = models.SlugField(_("Code"), max_length=40, unique=True)
    name = models.CharField(_("Name"), max_length=40, unique=True)
    sort_order = models.PositiveIntegerField(_("Order"), default=0)
    active = models.BooleanField(_("Active"), default=True)

    class Meta:
        verbose_name = _("Household tags")
        verbose_name_plural = _("Household tags")
        ordering = ["sort_order", "code"]

    def __str__(self):
        return self.name


class HouseholdQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        q = subtree_q("grid__path", scope.area_paths) if scope.area_paths else Q(pk__in=[])
        if scope.household_ids:
            q |= Q(pk__in=scope.household_ids)
        return q

    def in_area(self, area: Area):
        return self.filter(subtree_q("grid__path", [area.path]))

    def search(self, text: str):
        """Name, pinyin initials, last 4 of an ID, phone or household number."""
        from shanzhi.people.search import search_terms

        qs = self
        for term in search_terms(text):
            qs = qs.filter(search_text__contains=term)
        return qs


class Household(models.Model):
    """The unit that is visited, earns points and is ranked."""

    number = models.CharField(_("Household number"), max_length=40, unique=True)
    grid = models.ForeignKey(
        Area,
        verbose_name=_("Grid"),
        on_delete=models.PROTECT,
        related_name="households",
        limit_choices_to={"level": "grid"},
    )
    address = models.CharField(_("Address"), max_length=200, blank=True)
    head = models.ForeignKey(
        "Resident",
        verbose_name=_("Head of household"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    phone = models.CharField(_("Phone"), max_length=20, blank=True)
    tags = models.ManyToManyField(HouseholdTag, verbose_name=_("Tags"), blank=True, related_name="households")
    status = models.CharField(
        _("Status"), max_length=12, choices=HouseholdStatus.choices, default=HouseholdStatus.ACTIVE
    )
    merged_into = models.ForeignKey(
        "self",
        verbose_name=_("Merge into household"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    search_text = models.CharField(max_length=1000, blank=True, editable=False)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = _("Household")
        verbose_name_plural = _("Household")
        ordering = ["number"]
        permissions = [("view_sensitive", _("View full ID number and mobile"))]
        indexes = [models.Index(fields=["grid", "status"])]

    def __str__(self):
        return f"{self.number} {self.head_name}"

    @property
    def head_name(self) -> str:
        return self.head.name if self.head_id and self.head else ""

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)


class ResidentQuerySet(ScopedQuerySet):
    def scope_q(self, scope):
        q = subtree_q("household__grid__path", scope.area_paths) if scope.area_paths else Q(pk__in=[])
        if scope.household_ids:
            q |= Q(household_id__in=scope.household_ids)
        return q


class Resident(models.Model):
    """A person in a household. The ID number is sealed with SM4; only its keyed hash is searchable."""

    household = models.ForeignKey(
        Household, verbose_name=_("Household"), on_delete=models.PROTECT, related_name="residents"
    )
    name = models.CharField(_("Full name"), max_length=50)
    name_initials = models.CharField(_("Pinyin initials"), max_length=50, blank=True, editable=False)
    id_number_sealed = models.CharField(max_length=200, editable=False)
    id_number_hash = models.CharField(max_length=64, unique=True, editable=False)
    id_last4 = models.CharField(max_length=4, editable=False, db_index=True)
    id_prefix6 = models.CharField(max_length=6, editable=False)
    gender = models.CharField(_("Sex"), max_length=6, choices=Gender.choices, editable=False)
    birth_date = models.DateField(_("Date of birth"), editable=False)
    relation = models.CharField(
        _("Relationship to head of household"), max_length=20, choices=Relation.choices, default=Relation.OTHER
    )
    phone = models.CharField(_("Mobile"), max_length=20, blank=True)
    is_party_member = models.BooleanField(_("Party member"), default=False)
    is_away_for_work = models.BooleanField(_("Working away"), default=False)
    status = models.CharField(_("Status"), max_length=12, choices=ResidentStatus.choices, default=ResidentStatus.ACTIVE)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    objects = ResidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("Resident")
        verbose_name_plural = _("Resident")
        ordering = ["household", "id"]

    def __str__(self):
        return self.name

    @property
    def id_number(self) -> str:
        """The full ID number. Callers must hold ``people.view_sensitive`` and audit the read."""
        return crypto.decrypt(self.id_number_sealed)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.id_prefix6 + "00000000" + self.id_last4)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone)

    def age_on(self, day) -> int:
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))

from django.db import models
from django.utils.translation import gettext_lazy as _


class RuleCategory(models.TextChoices):
    VOLUNTARY_LABOUR = "voluntary_labour", _("Voluntary labour")
    HYGIENE = "hygiene", _("Household hygiene and tidy yard")
    MEDIATION = "mediation", _("Mediating disputes")
    ACTIVITIES = "activities", _("Attending village activities")
    FILIAL_PIETY = "filial_piety", _("Filial piety and caring for the elderly")
    GOOD_DEEDS = "good_deeds", _("Helping others and good deeds")
    PUBLIC_SAFETY = "public_safety", _("Fire and public safety")
    DAMAGING_FACILITIES = "damaging_facilities", _("Damaging public facilities")
    DISTURBING_ORDER = "disturbing_order", _("Disturbing public order")
    OPEN_BURNING = "open_burning", _("Open burning")
    LITTERING = "littering", _("Littering and dumping")
    OTHER = "other", _("Other")


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


class EntryKind(models.TextChoices):
    AWARD = "award", _("Award")
    DEDUCTION = "deduction", _("Deduction")
    REDEMPTION = "redemption", _("Redemption")
    REVERSAL = "reversal", _("Reversal")


class EntryStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting second approval")
    IN_NOTICE = "in_notice", _("In public notice")
    EFFECTIVE = "effective", _("Effective")
    VOIDED = "voided", _("Voided")


class EntryAction(models.TextChoices):
    APPROVED = "approved", _("Approved by second approver")
    DECLINED = "declined", _("Declined by second approver")
    APPEALED = "appealed", _("Appealed")
    APPEAL_UPHELD = "appeal_upheld", _("Appeal upheld")
    APPEAL_REJECTED = "appeal_rejected", _("Appeal rejected")
    TOOK_EFFECT = "took_effect", _("Took effect")
    REVERSED = "reversed", _("Reversed")


class AppealStatus(models.TextChoices):
    OPEN = "open", _("Awaiting decision")
    UPHELD = "upheld", _("Upheld")
    REJECTED = "rejected", _("Rejected")


class RedemptionStatus(models.TextChoices):
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class StockReason(models.TextChoices):
    INITIAL = "initial", _("Initial stock")
    RESTOCK = "restock", _("Restock")
    REDEMPTION = "redemption", _("Redemption")
    CANCELLATION = "cancellation", _("Cancelled redemption")
    ADJUSTMENT = "adjustment", _("Stock count adjustment")


class DividendMethod(models.TextChoices):
    PROPORTIONAL = "proportional", _("In proportion to points")
    TIERS = "tiers", _("By points tiers")


class DividendStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    APPROVED = "approved", _("Approved")


class HonourKind(models.TextChoices):
    CIVILIZED_FAMILY = "civilized_family", _("Civilized family")
    BEAUTIFUL_HOME = "beautiful_home", _("Model beautiful home")


HONOUR_NUMBER_PREFIX = {HonourKind.CIVILIZED_FAMILY: "WMJT", HonourKind.BEAUTIFUL_HOME: "MLJY"}


class CampaignStatus(models.TextChoices):
    NOMINATING = "nominating", _("Taking nominations")
    REVIEWING = "reviewing", _("Under review")
    IN_NOTICE = "in_notice", _("In public notice")
    AWARDED = "awarded", _("Awarded")


class NominationStatus(models.TextChoices):
    NOMINATED = "nominated", _("Nominated")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")

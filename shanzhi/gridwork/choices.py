from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerKind(models.TextChoices):
    SPECIALIST = "specialist", _("专业网格员")
    FULL_TIME = "full_time", _("专职网格员")
    PART_TIME = "part_time", _("兼职网格员")

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerKind(models.TextChoices):
    SPECIALIST = "specialist", _("Specialist grid worker")
    FULL_TIME = "full_time", _("Full-time grid worker")
    PART_TIME = "part_time", _("Part-time grid worker")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GridworkConfig(AppConfig):
    name = "shanzhi.gridwork"
    label = "gridwork"
    verbose_name = _("Grid work")

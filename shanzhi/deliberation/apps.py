from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliberationConfig(AppConfig):
    name = "shanzhi.deliberation"
    label = "deliberation"
    verbose_name = _("Deliberation")

    def ready(self):
        from shanzhi.deliberation import receivers  # noqa: F401 - connects the case_closed listener

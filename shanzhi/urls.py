from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

from shanzhi.api import api
from shanzhi.core import views as core_views

urlpatterns = [
    path("", include("shanzhi.core.urls")),
    path("accounts/", include("shanzhi.accounts.urls")),
    path("", include("shanzhi.dashboard.urls")),  # /areas/ and /dashboard/
    path("households/", include("shanzhi.people.urls")),
    path("cases/", include("shanzhi.cases.urls")),
    path("open311/v2/", include("shanzhi.cases.open311_urls")),
    path("gridwork/", include("shanzhi.gridwork.urls")),
    path("deliberation/", include("shanzhi.deliberation.urls")),
    path("points/", include("shanzhi.points.urls")),
    path("imports/", include("shanzhi.imports.urls")),
    path("field/", include("shanzhi.field.urls")),
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("healthz", core_views.healthz, name="healthz"),
]

handler404 = "shanzhi.core.views.not_found"
handler500 = "shanzhi.core.views.server_error"
handler403 = "shanzhi.core.views.forbidden"
handler400 = "shanzhi.core.views.bad_request"

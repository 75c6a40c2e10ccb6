from django.urls import path

from shanzhi.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("", views.area_browser, name="areas"),
    path("<int:pk>/", views.area_browser, name="area_detail"),
]

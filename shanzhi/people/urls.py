from django.urls import path

from shanzhi.people import views

app_name = "people"

urlpatterns = [
    path("", views.household_list, name="household_list"),
    path("new/", views.household_create, name="household_create"),
    path("<int:pk>/", views.household_detail, name="household_detail"),
    path("<int:pk>/edit/", views.household_edit, name="household_edit"),
    path("<int:pk>/residents/new/", views.resident_create, name="resident_create"),
    path("residents/<int:pk>/edit/", views.resident_edit, name="resident_edit"),
]

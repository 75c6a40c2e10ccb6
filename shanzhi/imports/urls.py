from django.urls import path

from shanzhi.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.index, name="index"),
    path("upload/", views.upload, name="upload"),
    path("templates/<str:kind>.<str:fmt>", views.template, name="template"),
    path("exports/<str:kind>.<str:fmt>", views.export, name="export"),
    path("<int:pk>/", views.job_detail, name="job"),
    path("<int:pk>/mapping/", views.job_mapping, name="mapping"),
    path("<int:pk>/check/", views.job_check, name="check"),
    path("<int:pk>/commit/", views.job_commit, name="commit"),
    path("<int:pk>/rejected.xlsx", views.job_rejected, name="rejected"),
]

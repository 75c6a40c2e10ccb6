from django.urls import path

from shanzhi.gridwork import views

app_name = "gridwork"

urlpatterns = [
    path("", views.roster, name="roster"),
    path("workers/new/", views.worker_create, name="worker_create"),
    path("workers/<int:pk>/", views.worker_detail, name="worker_detail"),
    path("workers/<int:pk>/edit/", views.worker_edit, name="worker_edit"),
    path("workers/<int:pk>/assign/", views.worker_assign, name="worker_assign"),
    path("workers/<int:pk>/transfer/", views.worker_transfer, name="worker_transfer"),
    path("workers/<int:pk>/leave/", views.worker_leave, name="worker_leave"),
    path("duties/", views.duty_list, name="duty_list"),
    path("duties/new/", views.duty_create, name="duty_create"),
    path("duties/<int:pk>/edit/", views.duty_edit, name="duty_edit"),
    path("visits/", views.visit_list, name="visit_list"),
    path("visits/new/", views.visit_create, name="visit_create"),
    path("visits/<int:pk>/", views.visit_detail, name="visit_detail"),
    path("visits/<int:pk>/case/", views.visit_case, name="visit_case"),
    path("photos/<int:pk>/", views.visit_photo, name="visit_photo"),
    path("care/", views.care_list, name="care_list"),
    path("care/rules/", views.care_rules, name="care_rules"),
    path("evaluations/", views.evaluation_list, name="evaluation_list"),
    path("evaluations/run/", views.evaluation_run, name="evaluation_run"),
    path("evaluations/scheme/", views.scheme, name="scheme"),
    path("evaluations/<int:pk>/", views.evaluation_detail, name="evaluation_detail"),
    path("evaluations/<int:pk>/close/", views.evaluation_close, name="evaluation_close"),
    path("evaluations/<int:pk>/compute/", views.evaluation_compute, name="evaluation_compute"),
    path("evaluations/<int:pk>/results/<int:result_pk>/", views.result_detail, name="result_detail"),
    path("red-flags/", views.red_flags, name="red_flags"),
    path("red-flags/<int:pk>/certificate.pdf", views.certificate, name="certificate"),
]

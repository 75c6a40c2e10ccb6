from django.urls import path

from shanzhi.cases import open311

app_name = "open311"

urlpatterns = [
    path("services.<str:fmt>", open311.only_formats(open311.services), name="services"),
    path("services/<slug:code>.<str:fmt>", open311.only_formats(open311.service_definition), name="service"),
    path("requests.<str:fmt>", open311.only_formats(open311.requests_view), name="requests"),
    path("requests/<str:number>.<str:fmt>", open311.only_formats(open311.request_detail), name="request"),
]

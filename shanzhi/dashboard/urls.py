from django.urls import path

from shanzhi.dashboard import views

app_name = "dashboard"

urlpatterns = [
    path("areas/", views.area_browser, name="areas"),
    path("areas/<int:pk>/", views.area_browser, name="area_detail"),
    path("dashboard/", views.overview, name="overview"),
    path("dashboard/screen/", views.screen, name="screen"),
    path("dashboard/screen/data.json", views.screen_data, name="screen_data"),
    path("dashboard/map/", views.grid_map, name="map"),
    path("dashboard/map/grids.geojson", views.map_grids, name="map_grids"),
    path("dashboard/map/grids/<int:pk>/", views.map_grid_panel, name="map_grid"),
    path("dashboard/scorecard/", views.scorecard, name="scorecard"),
    path("dashboard/reports/", views.report_list, name="reports"),
    path("dashboard/reports/<int:pk>/", views.report_detail, name="report_detail"),
    path("dashboard/reports/<int:pk>/download/", views.report_download, name="report_download"),
    path("dashboard/exports/", views.export_list, name="export_list"),
]

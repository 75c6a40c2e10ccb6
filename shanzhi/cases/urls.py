from django.urls import path

from shanzhi.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("new/", views.report, name="report"),
    path("households/", views.household_picker, name="household_picker"),
    path("queue/", views.command_queue, name="queue"),
    path("inbox/", views.department_inbox, name="inbox"),
    path("follow-up/", views.follow_up_queue, name="follow_up"),
    path("supervision/", views.supervision_board, name="supervision"),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/<int:pk>/", views.notification_open, name="notification_open"),
    path("attachments/<int:pk>/", views.attachment, name="attachment"),
    path("settings/calendar/", views.calendar_settings, name="calendar"),
    path("settings/open311/", views.open311_settings, name="open311_keys"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/steps/<slug:action>/", views.case_step, name="step"),
]

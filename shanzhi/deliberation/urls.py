from django.urls import path

from shanzhi.deliberation import views

app_name = "deliberation"

urlpatterns = [
    path("", views.home, name="home"),
    path("topics/", views.topic_list, name="topic_list"),
    path("topics/new/", views.topic_create, name="topic_create"),
    path("topics/mine/", views.my_topics, name="my_topics"),
    path("topics/<int:pk>/", views.topic_detail, name="topic_detail"),
    path("topics/<int:pk>/<slug:action>/", views.topic_action, name="topic_action"),
    path("meetings/", views.meeting_list, name="meeting_list"),
    path("meetings/new/", views.meeting_create, name="meeting_create"),
    path("meetings/<int:pk>/", views.meeting_run, name="meeting_run"),
    path("meetings/<int:pk>/minutes/", views.minutes_versions, name="minutes_versions"),
    path("actions/", views.action_list, name="action_list"),
    path("actions/<int:pk>/", views.action_detail, name="action_detail"),
    path("venues/", views.venue_list, name="venue_list"),
    path("venues/new/", views.venue_form, name="venue_create"),
    path("venues/<int:pk>/edit/", views.venue_form, name="venue_edit"),
    path("villages/<int:village_id>/quorum/", views.quorum_rule, name="quorum_rule"),
    path("board/", views.board_index, name="board_index"),
    path("board/<int:village_id>/", views.board, name="board"),
    path("board/<int:village_id>/print/", views.board_print, name="board_print"),
    path("files/<slug:kind>/<int:pk>/", views.serve_file, name="file"),
]

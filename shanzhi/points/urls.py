from django.urls import path

from shanzhi.points import views

app_name = "points"

urlpatterns = [
    path("", views.index, name="index"),
    path("me/", views.me, name="me"),
    path("entries/new/", views.entry_new, name="entry_new"),
    path("entries/<int:pk>/", views.entry_detail, name="entry_detail"),
    path("entries/<int:pk>/appeal/", views.entry_appeal, name="entry_appeal"),
    path("entries/<int:pk>/approve/", views.entry_approve, name="entry_approve"),
    path("entries/<int:pk>/decline/", views.entry_decline, name="entry_decline"),
    path("entries/<int:pk>/reverse/", views.entry_reverse, name="entry_reverse"),
    path("pending/", views.pending_list, name="pending"),
    path("appeals/", views.appeal_list, name="appeals"),
    path("appeals/<int:pk>/decide/", views.appeal_decide, name="appeal_decide"),
    path("villages/<int:pk>/", views.board, name="board"),
    path("villages/<int:pk>/notice/", views.notice_print, name="notice_print"),
    path("villages/<int:pk>/ledger/", views.ledger, name="ledger"),
    path("villages/<int:pk>/rules/", views.rules, name="rules"),
    path("areas/<int:pk>/rules/new/", views.rule_new, name="rule_new"),
    path("rules/<int:pk>/edit/", views.rule_edit, name="rule_edit"),
    path("templates/", views.templates, name="templates"),
    path("rankings/", views.rankings, name="rankings"),
    path("villages/<int:pk>/awards/", views.awards, name="awards"),
    path("awards/<int:pk>/", views.award_detail, name="award_detail"),
    path("areas/<int:pk>/shop/new/", views.shop_new, name="shop_new"),
    path("shops/<int:pk>/", views.shop, name="shop"),
    path("shops/<int:pk>/counter/", views.shop_counter, name="counter"),
    path("shops/<int:pk>/items/new/", views.item_form, name="item_new"),
    path("shops/<int:pk>/items/<int:item_id>/", views.item_form, name="item_edit"),
    path("redemptions/<int:pk>/", views.receipt, name="receipt"),
    path("dividends/", views.dividends, name="dividends"),
    path("dividends/<int:pk>/", views.dividend_detail, name="dividend_detail"),
    path("dividends/<int:pk>/export.xlsx", views.dividend_export, name="dividend_export"),
    path("honours/", views.honours, name="honours"),
    path("honours/campaigns/<int:pk>/", views.campaign, name="campaign"),
    path("honours/<int:pk>/signboard.pdf", views.signboard, name="signboard"),
    path("honours/verify/<str:code>/", views.honour_verify, name="honour_verify"),
]

"""The console's BPS data panel endpoints (JSON), under /console/bps/."""

from __future__ import annotations

from django.urls import path

from pstdesk.bpsapi import views

app_name = "bpsapi"
urlpatterns = [
    path("console/bps/<int:pk>/search/", views.search, name="search"),
    path("console/bps/<int:pk>/table/", views.table, name="table"),
]

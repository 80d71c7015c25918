from __future__ import annotations

from django.urls import path

from pstdesk.offices import views

app_name = "offices"
urlpatterns = [
    path("", views.home, name="home"),
    path("standar/<str:code>/", views.standard, name="standard"),
]

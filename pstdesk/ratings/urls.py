from __future__ import annotations

from django.urls import path

from pstdesk.ratings import views

app_name = "ratings"

urlpatterns = [
    path("nilai/<str:token>/", views.rate, name="rate"),
]

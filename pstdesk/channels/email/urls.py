from __future__ import annotations

from django.urls import path

from pstdesk.channels.email import views

app_name = "channel_email"

urlpatterns = [
    path("nilai/<str:token>/", views.rate, name="rate"),
]

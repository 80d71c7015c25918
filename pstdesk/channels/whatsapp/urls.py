from __future__ import annotations

from django.urls import path

from pstdesk.channels.whatsapp import views

app_name = "whatsapp"

urlpatterns = [
    path("webhook", views.webhook, name="webhook"),
]

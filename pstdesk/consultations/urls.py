from __future__ import annotations

from django.urls import path

from pstdesk.consultations import views

app_name = "consultations"

urlpatterns = [
    path("lampiran/<int:pk>/", views.download_attachment, name="attachment"),
]

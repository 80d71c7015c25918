from __future__ import annotations

from django.urls import path

from pstdesk.transparency import views

app_name = "transparency"

urlpatterns = [
    path("transparansi/<str:code>/", views.public_page, name="public"),
    path("pengawasan/transparansi/<str:code>/", views.approve_page, name="approve"),
]

from __future__ import annotations

from django.urls import path

from pstdesk.guestbook import views

app_name = "guestbook"
urlpatterns = [
    path("privasi/", views.privacy, name="privacy"),
    path("bukutamu/api/<str:office_code>/", views.api_guestbook, name="api"),
    path("bukutamu/api/<str:office_code>/verifikasi/", views.api_verify, name="api_verify"),
    path("bukutamu/<str:office_code>/", views.guestbook_form, name="form"),
    path("bukutamu/<str:office_code>/verifikasi/", views.verify, name="verify"),
    path("bukutamu/<str:office_code>/tautan/", views.link_choice, name="link"),
]

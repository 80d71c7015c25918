from __future__ import annotations

from django.urls import path

from pstdesk.guestbook import privacy_views, views

app_name = "guestbook"
urlpatterns = [
    path("privasi/", views.privacy, name="privacy"),
    path("privasi/data/", privacy_views.rights_request, name="rights_request"),
    path("privasi/data/<str:token>/", privacy_views.rights_page, name="rights"),
    path("privasi/data/<str:token>/json/", privacy_views.rights_json, name="rights_json"),
    path("privasi/antrean/", privacy_views.privacy_queue, name="privacy_queue"),
    path("privasi/antrean/<int:pk>/", privacy_views.privacy_queue, name="privacy_decide"),
    path("bukutamu/api/<str:office_code>/", views.api_guestbook, name="api"),
    path("bukutamu/api/<str:office_code>/verifikasi/", views.api_verify, name="api_verify"),
    path("bukutamu/<str:office_code>/", views.guestbook_form, name="form"),
    path("bukutamu/<str:office_code>/verifikasi/", views.verify, name="verify"),
    path("bukutamu/<str:office_code>/tautan/", views.link_choice, name="link"),
]

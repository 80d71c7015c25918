"""URLs of the LiveChat channel: `/widget.js`, `/widget/<office>/…` (frame, JSON endpoints, files) and
`/pfa/<office>/`. The socket is `ws/widget/<office>/` (see `routing.py`)."""

from __future__ import annotations

from django.urls import path

from pstdesk.channels.web import endpoints, views

app_name = "channel_web"
urlpatterns = [
    path("widget.js", views.widget_js, name="widget_js"),
    path("pfa/<str:office_code>/", views.pfa, name="pfa"),
    path("widget/<str:office_code>/frame/", views.frame, name="frame"),
    path("widget/<str:office_code>/available/", views.available, name="available"),
    path("widget/<str:office_code>/file/<str:token>/", views.download, name="file"),
    path("widget/<str:office_code>/api/", endpoints.state, name="api_root"),
    path("widget/<str:office_code>/api/state/", endpoints.state, name="api_state"),
    path("widget/<str:office_code>/api/prechat/", endpoints.prechat, name="api_prechat"),
    path("widget/<str:office_code>/api/verify/start/", endpoints.verify_start, name="api_verify_start"),
    path("widget/<str:office_code>/api/verify/", endpoints.verify, name="api_verify"),
    path("widget/<str:office_code>/api/offline/", endpoints.offline, name="api_offline"),
    path("widget/<str:office_code>/api/upload/", endpoints.upload, name="api_upload"),
    path("widget/<str:office_code>/api/rate/", endpoints.rate, name="api_rate"),
    path("widget/<str:office_code>/api/skm/", endpoints.skm, name="api_skm"),
    path("widget/<str:office_code>/api/transcript/", endpoints.transcript, name="api_transcript"),
    path("widget/<str:office_code>/api/forget/", endpoints.forget, name="api_forget"),
]

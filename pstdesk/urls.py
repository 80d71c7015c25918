"""Top-level URLs; each app owns its own urls.py."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path

from pstdesk.api import api

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/", include("pstdesk.accounts.urls")),
    path("console/", include("pstdesk.consultations.console.urls")),
    path("", include("pstdesk.runtime.urls")),
    path("", include("pstdesk.consultations.urls")),
    path("", include("pstdesk.offices.urls")),
    path("", include("pstdesk.complaints.urls")),
    path("", include("pstdesk.guestbook.urls")),
    path("channels/whatsapp/", include("pstdesk.channels.whatsapp.urls")),
    path("", include("pstdesk.channels.web.urls")),
    path("", include("pstdesk.ratings.urls")),
    path("", include("pstdesk.transparency.urls")),
    path("", include("pstdesk.supervision.urls")),
    path("", include("pstdesk.reports.urls")),
    path("", include("pstdesk.bpsapi.urls")),
    path("", include("pstdesk.library.urls")),
    path("", include("pstdesk.knowledge.urls")),
]

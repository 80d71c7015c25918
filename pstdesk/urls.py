"""Top-level URLs; each app owns its own urls.py."""

from __future__ import annotations

from django.contrib import admin
from django.templatetags.static import static
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView

from pstdesk.api import api
from pstdesk.lib.static import static_file

# The admin under the product's name (Django's default is "Administrasi Django").
admin.site.site_header = "PST Desk"
admin.site.site_title = "PST Desk"
admin.site.index_title = _("Administrasi")

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
    # Answered in front of Django under ASGI (pstdesk.lib.static); this serves them to the test client and WSGI.
    path("static/<path:path>", static_file, name="static-file"),
    # Browsers ask for /favicon.ico whatever the page says.
    path("favicon.ico", RedirectView.as_view(url=static("pstdesk/favicon.svg"), permanent=True), name="favicon"),
]

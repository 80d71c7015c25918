"""A test-only URL configuration: the project's URLs plus pages that refuse (403) and fail (500), at a public
address and at a console address, so a browser sees the branded error pages as a visitor and as an officer would."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import path

from pstdesk.urls import urlpatterns as project_urlpatterns


def refuse(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def fail(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a failure for the error page test")


urlpatterns = [
    path("uji/403/", refuse),
    path("uji/500/", fail),
    path("console/uji/403/", refuse),
    path("console/uji/500/", fail),
    *project_urlpatterns,
]

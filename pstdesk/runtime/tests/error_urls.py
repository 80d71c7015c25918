"""The site's URLs plus a view that fails (the branded 500 page tests)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from pstdesk.urls import urlpatterns as site_urlpatterns


def boom(request: HttpRequest) -> HttpResponse:
    raise ValueError("Field 'id' expected a number but got 'x'")


urlpatterns = [path("test-boom/", boom), *site_urlpatterns]

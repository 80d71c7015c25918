"""A test-only URL configuration: the project's URLs plus a page standing for an office's website, which embeds
the widget with the one-line snippet. Browser tests serve it at http://localhost:<port>/ (another origin than the
service at http://127.0.0.1:<port>), by overriding ROOT_URLCONF."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path

from pstdesk.urls import urlpatterns as project_urlpatterns


def host_page(request: HttpRequest) -> HttpResponse:
    desk = f"http://127.0.0.1:{request.get_port()}"
    office = request.GET.get("office", "5102")
    html = (
        "<!doctype html><html lang='id'><head><title>Website kantor</title>"
        # hostile styles: they must not reach the chat
        "<style>button{background:red!important} *{font-size:40px!important}</style></head>"
        "<body><h1>Selamat datang</h1><p>Halaman kantor.</p>"
        f'<script src="{desk}/widget.js" data-office="{office}" async></script>'
        "</body></html>"
    )
    response = HttpResponse(html)
    # The office website's own policy (not the service's default one), allowing the snippet of the service.
    response["Content-Security-Policy"] = f"default-src 'self' {desk}; style-src 'self' 'unsafe-inline'"
    return response


urlpatterns = [path("office-website/", host_page), *project_urlpatterns]

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from pstdesk.offices.models import Office


def home(request: HttpRequest) -> HttpResponse:
    offices = Office.objects.select_related("parent").prefetch_related("standards")
    return render(request, "offices/home.html", {"offices": offices})

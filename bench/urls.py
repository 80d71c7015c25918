from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def bare(request: HttpRequest) -> HttpResponse:
    """The baseline: a Django view that reads the body and answers 200, nothing else."""
    request.body  # noqa: B018
    return HttpResponse("ok")


urlpatterns = [path("bench/bare", bare), path("", include("pstdesk.urls"))]

"""URLs of the officer console, mounted at /console/."""

from __future__ import annotations

from django.urls import path

from pstdesk.consultations.console import views

app_name = "console"
urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("rows/", views.inbox_rows, name="rows"),
    path("duty/", views.set_duty, name="duty"),
    path("search/", views.search_view, name="search"),
    path("preferences/", views.set_preferences, name="preferences"),
    path("<int:pk>/", views.consultation_view, name="consultation"),
    path("<int:pk>/state/", views.consultation_state, name="state"),
    path("<int:pk>/pane/", views.consultation_pane, name="pane"),
    path("<int:pk>/<slug:verb>/", views.consultation_verb, name="verb"),
]

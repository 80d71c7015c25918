from __future__ import annotations

from django.urls import path

from pstdesk.ratings import views

app_name = "ratings"

urlpatterns = [
    path("nilai/<str:token>/", views.rate, name="rate"),
    path("penilaian/", views.ratings_list, name="list"),
    path("pengawasan/penilaian/", views.alert_queue, name="alerts"),
    path("pengawasan/penilaian/<int:pk>/", views.alert_detail, name="alert"),
]

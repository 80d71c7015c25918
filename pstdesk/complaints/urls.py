from __future__ import annotations

from django.urls import path

from pstdesk.complaints import views

app_name = "complaints"
urlpatterns = [
    path("pengawasan/", views.supervision, name="supervision"),
    path("pengawasan/kompensasi/<int:pk>/", views.compensation_detail, name="compensation"),
    path("pengawasan/pengaduan/<int:pk>/", views.complaint_detail, name="complaint"),
    path("pengaduan/<str:code>/", views.complaint_form, name="complaint_form"),
]

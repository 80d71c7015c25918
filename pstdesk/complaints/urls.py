from __future__ import annotations

from django.urls import path

from pstdesk.complaints import views

app_name = "complaints"
urlpatterns = [
    path("pengawasan/", views.supervision, name="supervision"),
    path("pengawasan/kompensasi/<int:pk>/", views.compensation_detail, name="compensation"),
    path("pengawasan/pengaduan/baru/", views.record_complaint, name="record"),
    path("pengawasan/pengaduan/<int:pk>/", views.complaint_detail, name="complaint"),
    path("pengawasan/konsultasi/<int:pk>/pengaduan/", views.complaint_from_consultation, name="from_consultation"),
    path("pengaduan/lacak/", views.track_lookup, name="track_lookup"),
    path("pengaduan/lacak/<str:number>/", views.track, name="track"),
    path("pengaduan/<str:code>/", views.complaint_form, name="complaint_form"),
]

from __future__ import annotations

from django.urls import path

from pstdesk.reports import views

app_name = "reports"
urlpatterns = [
    path("laporan/", views.report_page, name="report"),
    path("laporan/saya/", views.mine, name="mine"),
    path("laporan/konsultasi/", views.drill, name="drill"),
    path("laporan/unduh.<str:fmt>", views.download, name="download"),
    path("laporan/baris.<str:fmt>", views.download, name="rows"),
    path("laporan/arsip/", views.archive, name="archive"),
    path("laporan/arsip/<int:pk>.<str:fmt>", views.archive_file, name="archive_file"),
]

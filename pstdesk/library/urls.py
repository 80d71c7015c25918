"""URLs of the soft-copy library: staff pages under /console/pustaka/, the visitors' signed links under /pustaka/."""

from __future__ import annotations

from django.urls import path

from pstdesk.library import views

app_name = "library"
urlpatterns = [
    path("console/pustaka/", views.manage, name="manage"),
    path("console/pustaka/log/", views.log, name="log"),
    path("console/pustaka/<int:pk>/kirim/", views.send, name="send"),
    path("console/pustaka/<int:pk>/aktif/", views.set_active, name="set_active"),
    path("console/pustaka/salinan/<int:pk>/", views.staff_copy, name="copy"),
    path("pustaka/salinan/<str:token>/", views.download, name="download"),
]

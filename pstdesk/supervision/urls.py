from __future__ import annotations

from django.urls import path

from pstdesk.supervision import audit_views, review_views, views

app_name = "supervision"
urlpatterns = [
    path("pengawasan/jadwal/", views.roster_home, name="roster_home"),
    path("pengawasan/jadwal/<str:code>/", views.roster, name="roster"),
    path("pengawasan/antrean/", views.queues, name="queues"),
    path("pengawasan/antrean/<int:pk>/<str:verb>/", views.queue_action, name="queue_action"),
    path("pengawasan/audit/", audit_views.audit_log, name="audit"),
    path("pengawasan/tinjauan/", review_views.review_list, name="reviews"),
    path("pengawasan/tinjauan/<str:code>/", review_views.sample, name="review_sample"),
    path("pengawasan/tinjauan/konsultasi/<int:pk>/", review_views.review, name="review"),
    path("tinjauan/", review_views.my_reviews, name="my_reviews"),
]

from __future__ import annotations

from django.urls import path

from pstdesk.knowledge import views

app_name = "knowledge"

urlpatterns = [
    path("klasifikasi/<slug:version>/", views.classification_search, name="classification"),
    path("klasifikasi/<slug:version>/<str:code>/", views.classification_entry, name="classification_entry"),
    path("pfa/<str:office_code>/artikel/", views.article_list, name="articles"),
    path("pfa/<str:office_code>/artikel/<slug:slug>/", views.article_page, name="article"),
    path("widget/<str:office_code>/artikel/", views.widget_articles, name="widget_articles"),
    path("console/pengetahuan/<int:pk>/", views.console_suggestions, name="console_suggestions"),
]

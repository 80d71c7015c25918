from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import path

from pstdesk.accounts import views
from pstdesk.accounts.forms import LoginForm

urlpatterns = [
    path(
        "login/",
        views.TwoStepLoginView.as_view(
            template_name="registration/login.html", redirect_authenticated_user=True, authentication_form=LoginForm
        ),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Two-factor authentication (accounts.twofactor).
    path("masuk/kode/", views.verify, name="two_factor_verify"),
    path("keamanan/", views.security, name="two_factor"),
    path("keamanan/aktifkan/", views.enrol, name="two_factor_enrol"),
]

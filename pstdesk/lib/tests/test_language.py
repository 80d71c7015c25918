from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_indonesian_by_default_whatever_the_browser_says() -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get("/accounts/login/")
    assert response["Content-Language"] == "id"


@pytest.mark.django_db
def test_english_when_chosen_by_parameter_or_cookie() -> None:
    assert Client().get("/accounts/login/?lang=en")["Content-Language"] == "en"
    client = Client()
    client.cookies["django_language"] = "en"
    assert client.get("/accounts/login/")["Content-Language"] == "en"
    client.cookies["django_language"] = "fr"
    assert client.get("/accounts/login/")["Content-Language"] == "id"

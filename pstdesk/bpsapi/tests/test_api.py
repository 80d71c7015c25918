"""`/api/v1/bps/{domain}/search` and `/api/v1/bps/{domain}/tables/{id}` for API clients: the domains of the caller's
offices (own, province, nation) only, 401 without credentials, 404 for another office's domain, 400 for a refused
query, the Web API's failures as 502/504 with a sentence, never the key."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from pstdesk.accounts.actions import create_api_token
from pstdesk.bpsapi.tests.conftest import KEY
from pstdesk.lib.actors import SystemActor

pytestmark = pytest.mark.django_db


@pytest.fixture
def token_client(officer_5102: Any) -> Client:
    _token, raw = create_api_token(officer_5102, by=SystemActor("test"))
    return Client(HTTP_AUTHORIZATION=f"Bearer {raw}")


def test_search_own_province_and_nation(bps_sim: Any, token_client: Client) -> None:
    own = token_client.get("/api/v1/bps/5102/search", {"q": "padi"})
    assert own.status_code == 200, own.content
    body = own.json()
    assert body["domain"] == "5102" and body["total"] == 1 and body["available"]
    assert body["items"][0]["title"].endswith("Tabanan, 2025") and body["items"][0]["previewable"]
    province = token_client.get("/api/v1/bps/5100/search", {"q": "dalam angka", "kind": "publication"}).json()
    assert province["domain"] == "5100" and province["items"][0]["title"] == "Bali Dalam Angka 2026"
    nation = token_client.get("/api/v1/bps/0000/search", {"q": "inflasi", "kind": "pressrelease"}).json()
    assert nation["domain"] == "0000" and "Indonesia" in nation["items"][0]["title"]


def test_table_preview(bps_sim: Any, token_client: Client) -> None:
    response = token_client.get("/api/v1/bps/5102/tables/510202")
    assert response.status_code == 200
    assert response.json()["html"].startswith("<table>") and response.json()["id"] == "510202"
    missing = token_client.get("/api/v1/bps/5102/tables/1")
    assert missing.status_code == 404 and "not-available" in missing.json()["detail"]
    assert token_client.get("/api/v1/bps/5102/tables/no.such:table").status_code == 404  # cannot be an id


def test_without_credentials_401(bps_sim: Any) -> None:
    assert Client().get("/api/v1/bps/5102/search", {"q": "padi"}).status_code == 401
    assert Client().get("/api/v1/bps/5102/tables/510202").status_code == 401
    assert bps_sim.requests == []


def test_another_offices_domain_is_404(bps_sim: Any, officer_5101: Any, token_client: Client) -> None:
    _token, raw = create_api_token(officer_5101, by=SystemActor("test"))
    outsider = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    for url in ("/api/v1/bps/5102/search", "/api/v1/bps/5102/tables/510202"):
        response = outsider.get(url, {"q": "padi"})
        assert response.status_code == 404, url
    # a domain nobody has, and one of another province, alike
    assert token_client.get("/api/v1/bps/9999/search", {"q": "padi"}).status_code == 404
    assert token_client.get("/api/v1/bps/3100/search", {"q": "padi"}).status_code == 404
    assert bps_sim.requests == []  # refused before asking the API


def test_refused_queries_are_400_with_a_sentence(bps_sim: Any, token_client: Client) -> None:
    for q in ("", "   ", "x" * 1000):
        response = token_client.get("/api/v1/bps/5102/search", {"q": q})
        assert response.status_code == 400 and response.json()["detail"], q
    assert token_client.get("/api/v1/bps/5102/search", {"q": "padi", "kind": "mars"}).status_code == 422
    assert bps_sim.requests == []


@pytest.mark.parametrize(("mode", "status"), [("error", 502), ("garbage", 502), ("slow", 504)])
def test_web_api_failures(bps_sim: Any, settings: Any, token_client: Client, mode: str, status: int) -> None:
    settings.BPS_API_TIMEOUT_MS = 200
    bps_sim.set_mode(mode, delay=1.0)
    response = token_client.get("/api/v1/bps/5102/search", {"q": "padi"})
    assert response.status_code == status
    assert "Web API BPS" in response.json()["detail"] and KEY not in response.content.decode()


def test_list_not_available_is_200_with_a_message(bps_sim: Any, token_client: Client) -> None:
    bps_sim.set_mode("list-not-available")
    body = token_client.get("/api/v1/bps/5102/search", {"q": "padi"}).json()
    assert body["available"] is False and body["items"] == [] and "list-not-available" in body["message"]


def test_the_contract_declares_the_errors(bps_sim: Any) -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    for path in ("/api/v1/bps/{domain}/search", "/api/v1/bps/{domain}/tables/{table_id}"):
        responses = schema["paths"][path]["get"]["responses"]
        assert {"200", "400", "401", "404", "502", "503", "504"} <= set(responses), (path, sorted(responses))
    # its own components (a shared name would replace another operation's schema in the document)
    assert "domain" in schema["components"]["schemas"]["BpsSearchOut"]["properties"]
    assert "domain" not in schema["components"]["schemas"]["SearchOut"]["properties"]
    q = next(p for p in schema["paths"]["/api/v1/bps/{domain}/search"]["get"]["parameters"] if p["name"] == "q")
    assert q["schema"]["maxLength"] == 100 and q["schema"]["minLength"] == 1

from __future__ import annotations

import pytest
from django.test import Client

from pstdesk.lib.actors import SystemActor
from pstdesk.offices.actions import revise_standard
from pstdesk.offices.models import Office

pytestmark = pytest.mark.django_db


def test_offices_list_is_public(client: Client) -> None:
    response = client.get("/api/v1/offices/")
    assert response.status_code == 200
    rows = {row["code"]: row for row in response.json()}
    assert set(rows) == {"0000", "5100", "5101", "5102"}
    assert rows["5102"]["channels"] == ["whatsapp", "livechat_website", "livechat_pfa"]
    assert rows["5102"]["zone"] == "WITA" and rows["5102"]["standard_url"] == "/standar/5102/"
    assert rows["5101"]["email"] == "bps5101@bps.go.id"
    assert rows["5100"]["standard_version"] is None


def test_standard_json(client: Client) -> None:
    data = client.get("/api/v1/offices/5102/standard").json()
    assert data["office"] == "5102" and data["version"] == 1 and data["is_current"] is True
    assert data["closing_order"] == "rate_then_close"
    assert data["service_hours"]["fri"] == ["08:00", "16:30"]
    assert [r["text"] for r in data["service_hours_rows"]][:2] == ["08.00–16.00 WITA", "08.00–16.30 WITA"]
    assert len(data["legal_bases"]) == 8 and data["min_officers"] == 2
    assert "085173215102" in [c["address"] for c in data["complaint_channels"]]
    jembrana = client.get("/api/v1/offices/5101/standard").json()
    assert jembrana["closing_order"] == "close_then_rate" and jembrana["min_officers"] is None
    assert [s["action"] for s in jembrana["procedures"]["email"]][0] == "introduce"


def test_standard_versions(client: Client) -> None:
    revise_standard(Office.objects.get(code="5102"), by=SystemActor("test"), changes={"sla_working_days": 2}, note="")
    assert client.get("/api/v1/offices/5102/standard").json()["sla_working_days"] == 2
    old = client.get("/api/v1/offices/5102/standard?version=1").json()
    assert old["sla_working_days"] == 3 and old["is_current"] is False
    assert client.get("/api/v1/offices/5102/standard?version=7").status_code == 404
    assert client.get("/api/v1/offices/5102/standard?version=abc").status_code == 422
    assert client.get("/api/v1/offices/9999/standard").status_code == 404
    assert client.get("/api/v1/offices/5100/standard").status_code == 404


def test_openapi_lists_the_office_endpoints(client: Client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/offices/" in paths
    assert "/api/v1/offices/{code}/standard" in paths
    assert not paths["/api/v1/offices/{code}/standard"]["get"].get("security")

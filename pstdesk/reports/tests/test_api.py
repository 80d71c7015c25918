"""The reports API: the JSON report and the rows export, office-scoped like the pages."""

from __future__ import annotations

import csv
import io

import pytest
import time_machine

from pstdesk.reports.tests.month import NOW, build_month

pytestmark = pytest.mark.django_db


def test_report_and_rows_through_the_api(client, supervisor_5102, officer_5102, officer2_5102, officer_5101):
    build_month(officer_5102, officer2_5102)
    client.force_login(supervisor_5102)
    with time_machine.travel(NOW, tick=False):
        data = client.get("/api/v1/reports/5102?period=2026-11").json()
    assert data["consultations"]["opened"] == 5 and data["ratings"]["mean"] == 3.67
    rows = client.get("/api/v1/reports/5102/rows?period=2026-11&format=csv")
    assert rows.status_code == 200
    assert len(list(csv.reader(io.StringIO(rows.content.decode())))) == 6
    assert client.get("/api/v1/reports/5102?period=nope").status_code == 400
    assert client.get("/api/v1/reports/5102/rows?period=2026-11&format=pdf").status_code == 400
    assert client.get("/api/v1/reports/5101?period=2026-11").status_code == 404  # not below 5102
    client.force_login(officer_5101)
    assert client.get("/api/v1/reports/5102?period=2026-11").status_code == 404
    assert client.get("/api/v1/reports/5102/rows?period=2026-11").status_code == 404

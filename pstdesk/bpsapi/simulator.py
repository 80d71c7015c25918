"""A local simulator of the BPS Web API endpoints the client uses (webapi.bps.go.id/v1/api).

Served paths (under `/v1/api/`), with the key either as `?key=` or as a `/key/{K}/` path segment:
`domain/type/{all|prov|kab|kabbyprov}/[prov/{xx00}/]`, `list/model/{subject|statictable|publication|pressrelease}/
lang/{ind|eng}/domain/{d}/[keyword/{kw}/][page/{n}/]`, `view/model/{statictable|publication|pressrelease}/lang/…/
domain/{d}/id/{id}/` and `list/model/data/lang/…/domain/{d}/var/{var}/[th/{th}/]`.

Answers copy the real envelope (fixtures of the published SDKs): `{"status": "OK", "data-availability":
"available", "data": [{"page", "pages", "per_page", "count", "total"}, [items]]}` for lists (10 a page),
`"data": {...}` for one object, `{"status": "OK", "data-availability": "list-not-available"}` for an empty list,
`"not-available"` for a missing object and `{"status": "Error", "message": …}` for a wrong key, an unknown model
or domain. A static table's `table` is HTML-escaped HTML, like the real one.

Switches for tests and demos (attributes, or `POST /_sim/mode?mode=…&delay=…`): `mode` "ok", "error" (HTTP 500
with an Error envelope), "garbage" (HTTP 502 HTML page), "list-not-available" (every list empty) or "slow"
(every answer waits `delay` seconds). `requests` keeps the paths asked (key redacted) so tests can count calls.

Pure standard library (threads + http.server) so tests can run it in a thread on a free port.
"""

from __future__ import annotations

import html
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

PER_PAGE = 10
MODES = {"ok", "error", "garbage", "list-not-available", "slow"}

DOMAINS: list[dict[str, str]] = [
    {"domain_id": "0000", "domain_name": "Indonesia", "domain_url": "https://www.bps.go.id"},
    {"domain_id": "5100", "domain_name": "Bali", "domain_url": "https://bali.bps.go.id"},
    {"domain_id": "5101", "domain_name": "Jembrana", "domain_url": "https://jembranakab.bps.go.id"},
    {"domain_id": "5102", "domain_name": "Tabanan", "domain_url": "https://tabanankab.bps.go.id"},
    {"domain_id": "5103", "domain_name": "Badung", "domain_url": "https://badungkab.bps.go.id"},
    {"domain_id": "5171", "domain_name": "Kota Denpasar", "domain_url": "https://denpasarkota.bps.go.id"},
]

SUBJECTS: list[tuple[int, str, int, str]] = [
    (12, "Kependudukan", 1, "Statistik Demografi dan Sosial"),
    (23, "Kemiskinan dan Ketimpangan", 1, "Statistik Demografi dan Sosial"),
    (26, "Indeks Pembangunan Manusia", 1, "Statistik Demografi dan Sosial"),
    (53, "Tanaman Pangan", 2, "Statistik Ekonomi dan Perdagangan"),
    (3, "Inflasi", 2, "Statistik Ekonomi dan Perdagangan"),
    (52, "Produk Domestik Regional Bruto", 2, "Statistik Ekonomi dan Perdagangan"),
]

# (subject id, title pattern, row labels, column labels, base value)
TABLE_TEMPLATES: list[tuple[int, str, list[str], list[str], float]] = [
    (
        12,
        "Jumlah Penduduk Menurut Kecamatan dan Jenis Kelamin, {region}, 2025",
        ["Laki-laki", "Perempuan"],
        ["2023", "2024", "2025"],
        120_000,
    ),
    (
        53,
        "Luas Panen, Produksi, dan Produktivitas Padi Menurut Kecamatan, {region}, 2025",
        ["Luas panen (ha)", "Produksi (ton)"],
        ["2023", "2024", "2025"],
        40_000,
    ),
    (
        53,
        "Produksi Jagung dan Kedelai, {region}, 2025",
        ["Jagung (ton)", "Kedelai (ton)"],
        ["2023", "2024", "2025"],
        9_000,
    ),
    (
        23,
        "Persentase Penduduk Miskin, {region}, 2021-2025",
        ["Persentase (%)"],
        ["2021", "2022", "2023", "2024", "2025"],
        4.2,
    ),
    (
        26,
        "Indeks Pembangunan Manusia (IPM), {region}, 2020-2025",
        ["IPM"],
        ["2020", "2021", "2022", "2023", "2024", "2025"],
        74.5,
    ),
    (
        3,
        "Inflasi Bulanan Menurut Kelompok Pengeluaran, {region}, 2025",
        ["Umum", "Makanan"],
        ["Jan", "Feb", "Mar"],
        0.3,
    ),
    (
        52,
        "PDRB Atas Dasar Harga Berlaku Menurut Lapangan Usaha, {region} (miliar rupiah), 2025",
        ["Pertanian", "Industri", "Perdagangan"],
        ["2023", "2024", "2025"],
        5_000,
    ),
]

PUBLICATION_TITLES = [
    "{region} Dalam Angka 2026",
    "Statistik Daerah {region} 2025",
    "Indikator Kesejahteraan Rakyat {region} 2025",
    "Luas Panen dan Produksi Padi di {region} 2025",
    "Produk Domestik Regional Bruto {region} Menurut Lapangan Usaha 2021-2025",
    "Kecamatan Kediri Dalam Angka 2025",
]

PRESS_TITLES = [
    "Inflasi {region} November 2026 sebesar 0,21 persen",
    "Profil Kemiskinan di {region} Maret 2026",
    "Luas Panen dan Produksi Padi di {region} 2026 (Angka Sementara)",
]


def _domain(code: str) -> dict[str, str] | None:
    return next((d for d in DOMAINS if d["domain_id"] == code), None)


def _number(base: float, *salt: Any) -> float:
    step = sum(ord(c) for c in "".join(str(s) for s in salt)) % 97
    value = base * (1 + step / 400)
    return round(value, 2) if base < 100 else float(int(value))


def _fmt(value: float) -> str:
    return (
        (f"{value:,.2f}" if value != int(value) else f"{int(value):,}")
        .replace(",", "X")
        .replace(".", ",")
        .replace("X", ".")
    )


class BpsData:
    """The simulator's catalogue, made from templates per domain so every domain has tables and publications."""

    def __init__(self) -> None:
        self.tables: dict[str, list[dict[str, Any]]] = {}
        self.publications: dict[str, list[dict[str, Any]]] = {}
        self.press: dict[str, list[dict[str, Any]]] = {}
        for domain in DOMAINS:
            code, region, url = domain["domain_id"], domain["domain_name"], domain["domain_url"]
            subjects = {s[0]: s[1] for s in SUBJECTS}
            tables = []
            for n, (subj_id, pattern, rows, cols, base) in enumerate(TABLE_TEMPLATES, start=1):
                table_id = int(code) * 100 + n if code != "0000" else 1900 + n
                tables.append(
                    {
                        "table_id": table_id,
                        "title": pattern.format(region=region),
                        "subj_id": subj_id,
                        "subj": subjects[subj_id],
                        "updt_date": f"2026-{(n % 11) + 1:02d}-15",
                        "size": f"{8 + n} Kb",
                        "excel": f"{url}/id/statistics-table/1/{table_id}/tabel.xlsx",
                        "_rows": rows,
                        "_cols": cols,
                        "_base": base,
                        "_url": f"{url}/id/statistics-table/1/{table_id}",
                    }
                )
            self.tables[code] = tables
            self.publications[code] = [
                {
                    "pub_id": f"{code}{n:04d}a1b2c3d4e5f6",
                    "title": title.format(region=region),
                    "issn": f"2087-{code}",
                    "sch_date": None,
                    "rl_date": f"2026-{(n % 11) + 1:02d}-28",
                    "updt_date": None,
                    "cover": f"{url}/images/cover/{n}.jpg",
                    "pdf": f"{url}/id/publication/2026/{n:02d}/28/{code}{n:04d}/publikasi.pdf",
                    "size": f"{2 + n} Mb",
                    "abstract": f"Publikasi {title.format(region=region)} memuat data pokok {region}.",
                }
                for n, title in enumerate(PUBLICATION_TITLES, start=1)
            ]
            self.press[code] = [
                {
                    "brs_id": int(code) * 10 + n,
                    "subj_id": 3,
                    "subj": "Inflasi",
                    "title": title.format(region=region),
                    "abstract": "Berita resmi statistik.",
                    "rl_date": f"2026-{(n % 11) + 1:02d}-01",
                    "updt_date": None,
                    "pdf": f"{url}/id/pressrelease/2026/{n:02d}/01/{code}{n}/brs.pdf",
                    "size": "0,4 Mb",
                }
                for n, title in enumerate(PRESS_TITLES, start=1)
            ]

    def table_html(self, table: dict[str, Any]) -> str:
        head = "".join(f"<th>{html.escape(c)}</th>" for c in table["_cols"])
        rows = "".join(
            f"<tr><td>{html.escape(r)}</td>"
            + "".join(f"<td>{_fmt(_number(table['_base'], table['table_id'], r, c))}</td>" for c in table["_cols"])
            + "</tr>"
            for r in table["_rows"]
        )
        return (
            f'<table border="1"><thead><tr><th>{html.escape(table["subj"])}</th>{head}</tr></thead>'
            f"<tbody>{rows}</tbody></table><p>Sumber: BPS</p>"
        )


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if not k.startswith("_")}


class BpsSimulator:
    """The simulated API; `handle(path, query)` → (HTTP status, JSON body or raw bytes)."""

    def __init__(self, *, key: str, mode: str = "ok", delay: float = 0.0) -> None:
        self.key = key
        self.mode = mode
        self.delay = delay
        self.data = BpsData()
        self.per_page = PER_PAGE
        self.requests: list[str] = []
        self._lock = threading.Lock()

    def set_mode(self, mode: str, delay: float | None = None) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}")
        self.mode = mode
        if delay is not None:
            self.delay = delay

    def handle(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        segments = [unquote(s) for s in path.strip("/").split("/") if s]
        key = (query.get("key") or [""])[0]
        if "key" in segments[:-1]:
            i = segments.index("key")
            key = segments[i + 1]
            del segments[i : i + 2]
        with self._lock:
            self.requests.append("/" + "/".join(segments))
        if self.mode == "slow":
            time.sleep(self.delay)
        if self.mode == "error":
            return 500, {"status": "Error", "message": "Internal Server Error"}
        if self.mode == "garbage":
            return 502, b"<html><body><h1>502 Bad Gateway</h1></body></html>"
        if segments[:2] != ["v1", "api"]:
            return 404, {"status": "Error", "message": "Not Found"}
        if not key or key != self.key:
            return 200, {"status": "Error", "message": "Invalid API Key"}
        params = self._params(segments[2:])
        if params is None:
            return 200, {"status": "Error", "message": "Bad request"}
        return self._answer(params)

    @staticmethod
    def _params(segments: list[str]) -> dict[str, str] | None:
        if not segments:
            return None
        params = {"action": segments[0]}
        rest = segments[1:]
        if len(rest) % 2:
            return None
        for name, value in zip(rest[::2], rest[1::2], strict=True):
            params[name] = value
        return params

    def _answer(self, p: dict[str, str]) -> tuple[int, Any]:
        action = p["action"]
        if action == "domain":
            kind = p.get("type", "all")
            rows = DOMAINS
            if kind == "prov":
                rows = [d for d in DOMAINS if d["domain_id"].endswith("00") and d["domain_id"] != "0000"]
            elif kind in {"kab", "kabbyprov"}:
                prov = p.get("prov", "")
                rows = [d for d in DOMAINS if not d["domain_id"].endswith("00")]
                if kind == "kabbyprov":
                    rows = [d for d in rows if d["domain_id"][:2] == prov[:2]]
            elif kind != "all":
                return 200, {"status": "Error", "message": "Invalid type"}
            return self._list(rows, 1)
        domain = p.get("domain", "")
        if action not in {"list", "view"} or "model" not in p:
            return 200, {"status": "Error", "message": "Bad request"}
        if _domain(domain) is None:
            return 200, {"status": "Error", "message": "Domain not found"}
        model = p["model"]
        if model == "data":
            return self._dynamic(domain, p)
        collections = {
            "subject": [
                {"sub_id": s, "title": t, "subcat_id": ci, "subcat": c, "ntabel": 1} for s, t, ci, c in SUBJECTS
            ],
            "statictable": self.data.tables[domain],
            "publication": self.data.publications[domain],
            "pressrelease": self.data.press[domain],
        }
        if model not in collections:
            return 200, {"status": "Error", "message": "Model not found"}
        rows = collections[model]
        if action == "view":
            ident = p.get("id", "")
            id_field = {
                "subject": "sub_id",
                "statictable": "table_id",
                "publication": "pub_id",
                "pressrelease": "brs_id",
            }[model]
            row = next((r for r in rows if str(r[id_field]) == ident), None)
            if row is None:
                return 200, {"status": "OK", "data-availability": "not-available"}
            body = _public(row)
            if model == "statictable":
                body["table"] = html.escape(self.data.table_html(row))
            return 200, {"status": "OK", "data-availability": "available", "data": body}
        keyword = p.get("keyword", "").strip().lower()
        if keyword:
            words = keyword.split()
            rows = [r for r in rows if all(w in str(r.get("title", "")).lower() for w in words)]
        try:
            page = max(1, int(p.get("page", "1")))
        except ValueError:
            return 200, {"status": "Error", "message": "Invalid page"}
        return self._list([_public(r) for r in rows], page)

    def _list(self, rows: list[dict[str, Any]], page: int) -> tuple[int, Any]:
        if self.mode == "list-not-available" or not rows:
            return 200, {"status": "OK", "data-availability": "list-not-available"}
        per_page = self.per_page
        pages = (len(rows) + per_page - 1) // per_page
        chunk = rows[(page - 1) * per_page : page * per_page]
        if not chunk:
            return 200, {"status": "OK", "data-availability": "list-not-available"}
        paging = {"page": page, "pages": pages, "per_page": per_page, "count": len(chunk), "total": len(rows)}
        return 200, {"status": "OK", "data-availability": "available", "data": [paging, chunk]}

    def _dynamic(self, domain: str, p: dict[str, str]) -> tuple[int, Any]:
        """Variable 1 (population by sex) exists everywhere; any other variable is not available."""
        if p.get("var") != "1" or self.mode == "list-not-available":
            return 200, {"status": "OK", "data-availability": "list-not-available"}
        years = [{"val": 123, "label": "2023"}, {"val": 124, "label": "2024"}, {"val": 125, "label": "2025"}]
        if "th" in p:
            years = [y for y in years if str(y["val"]) == p["th"]]
        vervar = [{"val": int(domain), "label": _domain(domain)["domain_name"]}]  # type: ignore[index]
        turvar = [{"val": 1, "label": "Laki-laki"}, {"val": 2, "label": "Perempuan"}]
        content = {
            f"{v['val']}1{t['val']}{y['val']}0": _number(120_000, domain, t["val"], y["val"])
            for v in vervar
            for t in turvar
            for y in years
        }
        return 200, {
            "status": "OK",
            "data-availability": "available",
            "var": [
                {
                    "val": 1,
                    "label": "Jumlah Penduduk",
                    "unit": "Jiwa",
                    "subj": "Kependudukan",
                    "def": "",
                    "decimal": 0,
                    "note": "",
                }
            ],
            "turvar": turvar,
            "labelvervar": "Kabupaten/Kota",
            "vervar": vervar,
            "tahun": years,
            "turtahun": [{"val": 0, "label": "Tahun"}],
            "datacontent": content,
        }


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet: paths may carry the key
        return

    def _send(self, status: int, body: Any) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/html" if isinstance(body, bytes) else "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        try:
            self.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (its timeout)
            pass

    def do_GET(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        status, body = self.server.sim.handle(url.path, parse_qs(url.query))
        self._send(status, body)

    def do_POST(self) -> None:  # noqa: N802
        url = urlsplit(self.path)
        if url.path != "/_sim/mode":
            self._send(404, {"status": "Error", "message": "Not Found"})
            return
        query = parse_qs(url.query)
        try:
            delay = float(query["delay"][0]) if "delay" in query else None
            self.server.sim.set_mode((query.get("mode") or ["ok"])[0], delay)
        except ValueError as exc:
            self._send(400, {"status": "Error", "message": str(exc)})
            return
        self._send(200, {"status": "OK", "mode": self.server.sim.mode, "delay": self.server.sim.delay})


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], sim: BpsSimulator) -> None:
        super().__init__(address, _Handler)
        self.sim = sim


class RunningBpsSimulator:
    """A simulator served on a port in a background thread; `url` is the API base (…/v1/api)."""

    def __init__(self, sim: BpsSimulator, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sim = sim
        self.server = _Server((host, port), sim)
        self.port = self.server.server_address[1]
        self.base_url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True, name="bps-sim")
        self._thread.start()

    @property
    def url(self) -> str:
        return f"{self.base_url}/v1/api"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

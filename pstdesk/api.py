"""The JSON API at /api/v1/, with its OpenAPI document at /api/v1/openapi.json."""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from pstdesk.accounts.auth import api_auth
from pstdesk.api_contract import declare_contract


class DeskAPI(NinjaAPI):
    """The API whose OpenAPI document also declares every operation's errors and value lists
    (`pstdesk.api_contract`)."""

    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: Any = None) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        declare_contract(schema)
        return schema


api = DeskAPI(
    title="PST Desk API",
    version="1",
    urls_namespace="api",
    auth=api_auth,
    docs_url="/docs",
)

from pstdesk.offices.api import router as offices_router  # noqa: E402

api.add_router("/offices", offices_router)

from pstdesk.consultations.api import router as consultations_router  # noqa: E402

api.add_router("/consultations", consultations_router)

from pstdesk.ratings.api import router as ratings_router  # noqa: E402

api.add_router("/ratings", ratings_router)

from pstdesk.transparency.api import router as transparency_router  # noqa: E402

api.add_router("/offices", transparency_router)

from pstdesk.complaints.api import router as complaints_router  # noqa: E402

api.add_router("/complaints", complaints_router)

from pstdesk.reports.api import router as reports_router  # noqa: E402

api.add_router("/reports", reports_router)

from pstdesk.knowledge.api import kbli_router  # noqa: E402

api.add_router("/kbli2020", kbli_router)

from pstdesk.knowledge.api import router as knowledge_router  # noqa: E402

api.add_router("/knowledge", knowledge_router)

from pstdesk.bpsapi.api import router as bps_router  # noqa: E402

api.add_router("/bps", bps_router)

from pstdesk.library.api import router as library_router  # noqa: E402
from pstdesk.library.api import send_router as library_send_router  # noqa: E402

api.add_router("/library", library_router)
api.add_router("/consultations", library_send_router)

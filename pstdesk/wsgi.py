"""WSGI entry point, for running plain HTTP under a WSGI server beside the ASGI one."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pstdesk.settings")
application = get_wsgi_application()

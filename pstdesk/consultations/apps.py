from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultationsConfig(AppConfig):
    name = "pstdesk.consultations"
    verbose_name = _("Konsultasi")

    def ready(self) -> None:
        # Imported here: models load only now. The guestbook below calls back through these registrations.
        from pstdesk.consultations import privacy
        from pstdesk.consultations.actions import office_calendar_changed, refresh_visitor_requirements
        from pstdesk.guestbook.erasure import register_holder
        from pstdesk.guestbook.requirements import on_requirements_given
        from pstdesk.offices.hooks import on_calendar_changed

        register_holder(privacy)
        on_requirements_given(refresh_visitor_requirements)
        on_calendar_changed(office_calendar_changed)

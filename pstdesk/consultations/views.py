"""HTTP views of the consultation core outside the console: attachment downloads."""

from __future__ import annotations

from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from pstdesk.consultations.access import staff_can_access, visitor_can_access
from pstdesk.consultations.models import Attachment, MessageKind


@require_GET
def download_attachment(request: HttpRequest, pk: int) -> FileResponse:
    """A file of a message, for staff who can see the office or for the consultation's visitor; 404 for a missing
    and a forbidden file alike. Always a download (never rendered inline) with our own content type."""
    attachment = Attachment.objects.select_related("message", "message__consultation").filter(pk=pk).first()
    if attachment is None:
        raise Http404("Attachment not found")
    consultation = attachment.message.consultation
    user = request.user
    if getattr(user, "is_authenticated", False):
        allowed = staff_can_access(user, consultation)
    else:
        allowed = attachment.message.kind != MessageKind.NOTE and visitor_can_access(request, consultation)
    if not allowed:
        raise Http404("Attachment not found")
    try:
        handle = attachment.file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404("Attachment not found") from None
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.filename, content_type=attachment.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response

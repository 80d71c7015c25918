"""How a rating is shown to a member of staff: everything, except the integrity answers when the office hides
them from officers (`RatingPolicy`) — then only supervisors, managers and administrators who are not the officer
concerned see them, for every rating of the office alike (hiding only the "yes" answers would reveal them), so an
officer never learns which visitor reported them."""

from __future__ import annotations

from typing import Any

from pstdesk.accounts.models import Role
from pstdesk.ratings.models import Rating, RatingPolicy

SUPERVISING_ROLES = {Role.SUPERVISOR, Role.MANAGER, Role.ADMIN}


def hiding_offices() -> set[str]:
    """The offices whose policy hides integrity answers from officers (one query, for lists)."""
    return set(RatingPolicy.objects.filter(hide_integrity_from_officers=True).values_list("office_id", flat=True))


def integrity_visible(consultation: Any, viewer: Any, *, hiding: set[str] | None = None) -> bool:
    """Whether `viewer` may see the integrity answers of the consultation's rating."""
    if hiding is None:
        hiding = hiding_offices()
    if consultation.office_id not in hiding:
        return True
    supervising = getattr(viewer, "is_superuser", False) or getattr(viewer, "role", None) in SUPERVISING_ROLES
    return supervising and getattr(viewer, "pk", None) != consultation.assigned_to_id


def rating_dict(rating: Rating | None, *, viewer: Any, hiding: set[str] | None = None) -> dict[str, Any] | None:
    """A rating for staff: score, feedback, the two integrity answers (None with `integrity_hidden` when the office
    hides them from this viewer), channel and time. None when the consultation has no rating."""
    if rating is None:
        return None
    consultation = rating.consultation
    visible = integrity_visible(consultation, viewer, hiding=hiding)
    return {
        "id": rating.pk,
        "consultation": rating.consultation_id,
        "office": consultation.office_id,
        "officer": consultation.assigned_to_id,
        "score": rating.score,
        # the feedback stays visible: blanking it only when a report was made would itself reveal the report
        "feedback": rating.feedback,
        "gratuity": rating.gratuity if visible else None,
        "illegal_fee": rating.illegal_fee if visible else None,
        "integrity_hidden": not visible,
        "channel": rating.channel,
        "created_at": rating.created_at.isoformat(),
    }


def rating_of(consultation: Any) -> Rating | None:
    try:
        rating: Rating = consultation.rating
    except Rating.DoesNotExist:
        return None
    return rating

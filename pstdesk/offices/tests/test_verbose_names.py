"""Every model and field of PST Desk has a verbose name of its own, in Indonesian, translated into English: the
admin (and every form built from a model) shows no label made up from an attribute name such as "Closing order".

A verbose name counts when it is a translatable text (`gettext_lazy`) whose message is in the English catalog;
Django makes one from the attribute name otherwise (a plain string). Fields a model inherits from Django itself
(the user's username, password, groups...) carry Django's own translations and are left out."""

from __future__ import annotations

from typing import Any

import pytest
from django.apps import apps
from django.db import models
from django.utils.functional import Promise
from django.utils.translation import override, trans_real


def _pstdesk_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if m.__module__.startswith("pstdesk.")]


def _own_fields(model: type[models.Model]) -> list[Any]:
    """Concrete and many-to-many fields the model declares (no reverse relations, no automatic primary key), less
    those of Django's abstract parents."""
    inherited: set[str] = set()
    for base in model.__mro__[1:]:
        meta = getattr(base, "_meta", None)
        if meta is not None and not base.__module__.startswith("pstdesk."):
            inherited |= {f.name for f in [*meta.local_fields, *meta.local_many_to_many]}
    return [f for f in model._meta.get_fields() if not f.auto_created and f.name not in inherited]


def _problem(text: Any, automatic: str) -> str | None:
    """Why `text` is not a proper verbose name (None when it is one)."""
    if not isinstance(text, Promise):
        return f"no verbose name of its own ({text!r}, made from {automatic!r})"
    msgid = text._args[0]  # type: ignore[attr-defined]
    if msgid not in trans_real.translation("en")._catalog:
        return f"{msgid!r} has no English translation in the catalog"
    with override("en"):
        if not str(text):
            return f"{msgid!r} translates to nothing"
    return None


def test_pstdesk_has_models_and_fields_to_check() -> None:
    models_ = _pstdesk_models()
    assert len(models_) > 50
    assert sum(len(_own_fields(m)) for m in models_) > 500


@pytest.mark.parametrize("model", _pstdesk_models(), ids=lambda m: m._meta.label)
def test_every_model_and_field_has_an_indonesian_verbose_name_translated_into_english(
    model: type[models.Model],
) -> None:
    meta = model._meta
    problems = []
    for attr, automatic in (
        ("verbose_name", models.options.camel_case_to_spaces(model.__name__)),
        ("verbose_name_plural", ""),
    ):
        if attr not in meta.original_attrs:
            problems.append(f"Meta.{attr}: missing")
        elif why := _problem(meta.original_attrs[attr], automatic):
            problems.append(f"Meta.{attr}: {why}")
    for field in _own_fields(model):
        if why := _problem(field.verbose_name, field.name.replace("_", " ")):
            problems.append(f"{field.name}: {why}")
    assert not problems, f"{meta.label}:\n" + "\n".join(problems)


def test_the_admin_labels_are_indonesian_and_english_by_switch() -> None:
    from pstdesk.offices.models import ServiceStandard

    field = ServiceStandard._meta.get_field("closing_order")
    assert str(field.verbose_name) == "urutan penutupan"
    with override("en"):
        assert str(field.verbose_name) == "closing order"
        assert str(ServiceStandard._meta.verbose_name) == "service standard"

"""`AlterLabels`: a migration operation for fields whose labels (verbose names, help texts) change and nothing else.

Django's `AlterField` re-renders the model and its related models in the migration state once per field, which for
the *_verbose_names migrations (some 500 fields) took most of a fresh `migrate` on a loaded machine. Labels are not
in the database, so this operation changes the fields in the state and renders each model once; the database is left
alone. The resulting state is the one `AlterField` gives (`makemigrations --check` compares it with the models)."""

from __future__ import annotations

from typing import Any

from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState


class AlterLabels(Operation):
    reduces_to_sql = False
    reversible = True

    def __init__(self, fields: list[tuple[str, str, Any]]) -> None:
        self.fields = fields  # [(model_name, field_name, field)], the fields as they are after the change

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, [self.fields], {})

    def state_forwards(self, app_label: str, state: ProjectState) -> None:
        relations = state.__dict__.get("_relations")  # Django keeps the reverse relations there once computed
        for model_name, name, field in self.fields:
            key = (app_label, model_name.lower())
            fields = state.models[key].fields
            old = fields.pop(name)
            if relations is not None and old.is_relation:
                state.resolve_model_field_relations(key, name, old)
            fields[name] = field
            if relations is not None and field.is_relation:
                state.resolve_model_field_relations(key, name, field)
        for model_name in dict.fromkeys(model_name.lower() for model_name, _name, _field in self.fields):
            state.reload_model(app_label, model_name, delay=True)

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        pass  # labels only: nothing in the database

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        pass

    def describe(self) -> str:
        return f"Alter the labels of {len(self.fields)} fields"

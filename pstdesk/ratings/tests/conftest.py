"""The consultation core's fixtures (events after commit, a fake channel adapter) for the ratings tests."""

from pstdesk.consultations.tests.conftest import events, fake_adapter  # noqa: F401

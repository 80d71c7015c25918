"""Test helpers shared by every app (no models, never imported by production code)."""

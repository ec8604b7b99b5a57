"""Listings tests use the workflow tests' fixtures: the store on both backends, session factories and
the GHL stand-in over real HTTP (the only fake)."""

from __future__ import annotations

from tests.hub.workflows.conftest import ghl, make_session, standin, standin_server

__all__ = ["ghl", "make_session", "standin", "standin_server"]

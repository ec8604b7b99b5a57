"""Sending tests reuse the workflow fixtures (store on both backends, session factory)."""

from __future__ import annotations

from tests.hub.workflows.conftest import ghl, make_session, standin, standin_server

__all__ = ["ghl", "make_session", "standin", "standin_server"]

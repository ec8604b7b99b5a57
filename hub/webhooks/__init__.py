"""Inbound webhook authentication."""

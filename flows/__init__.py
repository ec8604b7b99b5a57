"""Prefect flows, one per file, named after the flow."""

"""Slash commands, one module each, each exposing register(app, services)."""

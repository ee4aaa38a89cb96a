"""Bolt listeners grouped by Slack surface: actions (buttons), events, views (modals).

Each is a module-level `handle_*` function that acks, parses, calls a use case and renders; the
services come from Bolt's context (`context["services"]`, put there by one middleware).
"""

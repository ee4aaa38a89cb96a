"""Slack edge: Block Kit builders, listeners and delivery of Slack side effects."""

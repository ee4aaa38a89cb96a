"""Escalation-coordination Slack bot."""

"""Shared test support: fakes of Slack, SMTP and PagerDuty on loopback, and data builders."""

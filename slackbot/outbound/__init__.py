"""Outbound channels other than Slack: email (SMTP) and paging."""

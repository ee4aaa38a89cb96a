"""Pure Block Kit builders and Slack ids: data in, dicts out, tested with no fakes."""

"""Pure renderers, data in and data out, tested with no fakes: Block Kit builders and Slack ids,
and the report's CSV and PNG chart."""

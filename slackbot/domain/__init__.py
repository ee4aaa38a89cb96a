"""Domain rules: plain Python, importable without Slack or a database."""

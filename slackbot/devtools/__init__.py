"""Stand-ins that run on loopback: Slack's Web API, PagerDuty, an SMTP sink and Slack's signed requests.

The test suite, the benchmark and `python -m slackbot demo` use the same ones, so what the demo
shows is what the tests check. Nothing here is imported by the running bot.
"""

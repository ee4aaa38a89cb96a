"""`python -m slackbot playbooks preview`: placeholder until written."""


def main(argv: list[str]) -> int:
    """Not yet."""
    return 1

"""The benchmark (issue 16): `python -m bench [--quick]` from the repository root; see README.

Not an installed package and not part of the test suite.
"""

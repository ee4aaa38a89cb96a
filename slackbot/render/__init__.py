"""Renderers that turn report data into files people open: CSV and PNG."""

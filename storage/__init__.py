"""Persistence: SQLModel tables, engine setup, repositories and Alembic migrations."""

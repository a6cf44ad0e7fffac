"""Celery app."""

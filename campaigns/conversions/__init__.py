"""Conversions: students who registered or handed in the form, recorded once, attributed, imported,
and signed by the alumni system.
"""

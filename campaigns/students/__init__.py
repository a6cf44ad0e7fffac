"""Graduating students: importing the registrar's lists, terms, contact details, search, history,
the audience of a campaign, and the purge.
"""

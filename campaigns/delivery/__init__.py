"""Sending planned messages: the adapter pool, claiming and sending, previews and test sends,
recovery of lost outcomes, costs.
"""

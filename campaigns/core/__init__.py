"""The data layer every area stands on: models, database, settings, errors, and small leaves
(Turkish text, durations, file reading, template rendering).
"""

"""From launch to due work: checks and forecast before launch, planning a due wave, and the
scheduler's tick.
"""

"""What happened after sending: delivery events, tracked links and clicks, opt-outs, suppressions,
replies.
"""

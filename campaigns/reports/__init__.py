"""Reports: the funnel per campaign, wave, channel and unit."""

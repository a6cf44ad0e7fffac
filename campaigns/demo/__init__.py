"""The embedded demo (``campaigns demo``)."""

from campaigns.demo.cohort import synthetic_cohort
from campaigns.demo.run import DemoResult, run_demo

__all__ = ["DemoResult", "run_demo", "synthetic_cohort"]

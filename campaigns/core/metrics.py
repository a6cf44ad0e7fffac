"""What the service counts for Prometheus, in every process that does the work (workers
write to ``PROMETHEUS_MULTIPROC_DIR`` when it is set, and ``/metrics`` reads them all)."""

from __future__ import annotations

from typing import Final

from prometheus_client import Counter, Histogram

MESSAGES: Final = Counter(
    "campaigns_messages",
    "Messages handed to providers, by channel, provider and outcome "
    "(sent, failed, retry, unknown).",
    ["channel", "provider", "outcome"],
)
PROVIDER_SECONDS: Final = Histogram(
    "campaigns_provider_request_seconds",
    "Time of one send call to a provider's adapter (a batch).",
    ["provider"],
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60),
)
EVENT_LAG_SECONDS: Final = Histogram(
    "campaigns_delivery_event_lag_seconds",
    "From a delivery event's time at the provider to its recording here (webhooks and polls).",
    ["provider"],
    buckets=(0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600),
)

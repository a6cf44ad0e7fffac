"""Channel adapters: one module per provider behind the interface in ``channels.base``."""

from channels.base import (
    Accepted,
    Channel,
    ChannelAdapter,
    ConfigurationError,
    DeliveryError,
    DeliveryEvent,
    ErrorKind,
    EventType,
    OutboundMessage,
    PermanentError,
    ProviderTemplate,
    RateLimitedError,
    Rejected,
    SendResult,
    TransientError,
)

__all__ = [
    "Accepted",
    "Channel",
    "ChannelAdapter",
    "ConfigurationError",
    "DeliveryError",
    "DeliveryEvent",
    "ErrorKind",
    "EventType",
    "OutboundMessage",
    "PermanentError",
    "ProviderTemplate",
    "RateLimitedError",
    "Rejected",
    "SendResult",
    "TransientError",
]

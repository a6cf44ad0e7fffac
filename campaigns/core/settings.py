"""Configuration from environment variables (prefix ``CAMPAIGNS_``) and an optional ``.env``."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from holidays import list_supported_countries
from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from campaigns.governance.cap_rules import parse_caps
from campaigns.governance.closed_days import parse_closed_days

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class Settings(BaseSettings):
    """Everything the service reads from its environment."""

    model_config = SettingsConfigDict(
        env_prefix="CAMPAIGNS_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = Field(
        default="sqlite:///campaigns.db",
        description="SQLAlchemy URL; a SQLite file in the working directory by default.",
    )
    broker_url: str | None = Field(
        default=None,
        description="Celery broker (redis://…). Unset: tasks run in-process.",
    )
    redis_url: str | None = Field(
        default=None,
        description="Redis for shared state such as rate limits; defaults to the broker URL.",
    )
    public_url: str = Field(
        default="http://localhost:8000", description="Base URL of links and callbacks."
    )
    alumni_office_email: str = Field(
        default="mezun@universite.example.edu.tr",
        description="The alumni office mailbox students write to when they cannot register.",
    )
    timezone: str = Field(default="Europe/Istanbul", description="Default campaign time zone.")
    outbox_dir: Path = Field(default=Path("outbox"), description="Where the outbox writes.")
    templates_dir: Path = Field(default=PROJECT_ROOT / "templates")

    email_adapter: str = Field(
        default="outbox",
        description="The email adapter, or several with their shares: 'sendgrid:80,smtp:20'.",
    )
    sms_adapter: str = Field(
        default="outbox", description="The SMS adapter(s), e.g. 'netgsm:70,twilio-sms:30'."
    )
    whatsapp_adapter: str = Field(default="outbox", description="The WhatsApp adapter(s).")
    whatsapp_answer_sid: str | None = Field(
        default=None,
        description="An approved WhatsApp template (content SID) the replies inbox sends to "
        "a student more than 24 hours after their last message; {{1}} is their first name.",
    )
    whatsapp_answer_text: str = Field(
        default="Merhaba {{1}}, mezun ofisi mesajınızı yanıtladı. Yanıtı almak için bu "
        "mesaja yazın. / Hello {{1}}, the alumni office has answered your message. Write "
        "back to this message to receive the answer.",
        description="The approved text of that template, as the inbox shows and keeps it.",
    )
    approval_required: str = Field(
        default="",
        description="Whose campaigns wait for approval before launch: advisors' campaigns "
        "of these faculties (comma-separated), '*' for every faculty, empty for none.",
    )
    holidays: str = Field(
        default="TR",
        description="Public holidays of this country (ISO code, from the holidays library) "
        "close sending; empty: none.",
    )
    closed_days: str = Field(
        default="",
        description="The university's own closed days: 'YYYY-MM-DD[..YYYY-MM-DD] reason', "
        "separated by ';' (exam weeks, the diploma ceremony).",
    )
    frequency_caps: str = Field(
        default="sms=1/day,3/week; whatsapp=1/day,3/week; email=2/day,5/week",
        description="At most this many campaign messages per student and channel in a local "
        "day and an ISO week, across all campaigns; empty: no caps.",
    )
    link_tracking: bool = Field(
        default=True,
        description="Count clicks through the service's own links; false: every message "
        "links straight to the alumni system and reports say clicks are not measured (a "
        "campaign may turn it off for itself with link_tracking = false).",
    )
    privacy_notice: str = Field(
        default="Kişisel verileriniz, 6698 sayılı KVKK kapsamında yalnızca mezun kaydınızı "
        "hatırlatmak için, mezun ofisi tarafından işlenir. Haklarınız için mezun ofisine "
        "yazabilirsiniz. / Your personal data is processed by the alumni office under the "
        "Turkish data protection law (KVKK) only to remind you to register as a graduate. "
        "Write to the alumni office to exercise your rights.",
        max_length=4000,
        description="The privacy notice (KVKK aydınlatma metni) shown on the unsubscribe "
        "and link pages.",
    )
    privacy_notice_url: str = Field(
        default="",
        max_length=2048,
        description="Where the full privacy notice is read (linked under the notice).",
    )
    cap_wait_hours: int = Field(
        default=72,
        gt=0,
        description="How long after its wave started a capped message may wait for its next "
        "slot (never past the campaign's next wave); then it is skipped as capped.",
    )
    failover_errors: int = Field(
        default=50, gt=0, description="Failed sends within the window that demote a provider."
    )
    failover_window_seconds: int = Field(default=60, gt=0)
    slow_delivery_minutes: int = Field(
        default=10, gt=0, description="A message not delivered this long after sending is slow."
    )
    slow_delivery_share: float = Field(
        default=0.5, gt=0, le=1, description="The share of slow messages that demotes a provider."
    )

    queue: str = Field(default="campaigns", description="Celery queue of all tasks.")
    tick_seconds: float = Field(default=30.0, gt=0, description="Scheduler period.")
    batch_size: int = Field(default=500, ge=1, le=1000, description="Messages claimed at once.")
    send_parallelism: int = Field(
        default=4, ge=1, description="Send tasks started at once per wave."
    )
    max_attempts: int = Field(default=5, ge=1, description="Attempts before a message fails.")
    retry_base_seconds: float = Field(default=30.0, gt=0)
    retry_max_seconds: float = Field(default=3600.0, gt=0)
    sending_lease_seconds: float = Field(
        default=600.0,
        gt=0,
        description="A message claimed longer ago than this is reconciled, never blindly resent.",
    )

    reconcile_after_seconds: float = Field(
        default=60.0,
        gt=0,
        description="A message whose request timed out after it was sent is checked with "
        "the provider this long after (never sent again blindly).",
    )

    cost_currency: str = Field(default="USD", description="Currency of all message costs.")
    sms_price_per_segment: Decimal = Field(
        default=Decimal("0"), ge=0, description="Estimate of an SMS segment's price."
    )
    whatsapp_price_per_message: Decimal = Field(default=Decimal("0"), ge=0)
    email_price_per_message: Decimal = Field(default=Decimal("0"), ge=0)
    max_request_bytes: int = Field(
        default=5 * 2**20, gt=0, description="Larger HTTP request bodies get 413."
    )
    alumni_system_url: str = Field(
        default="https://mezun.universite.example.edu.tr",
        description="The alumni information system, shown when a link is not valid.",
    )
    secret_key: SecretStr | None = Field(
        default=None,
        description="A long random secret for keyed fingerprints (audit log); keep it private "
        "and stable.",
    )
    sign_in_link_minutes: int = Field(
        default=15, gt=0, le=24 * 60, description="How long a sign-in link sent by email works."
    )
    session_idle_minutes: int = Field(
        default=60, gt=0, description="A web session ends after this long without a request."
    )
    sign_in_requests_per_address: int = Field(
        default=5, gt=0, description="Sign-in links one address may ask for in 15 minutes."
    )
    sign_in_requests_per_client: int = Field(
        default=20, gt=0, description="Sign-in links one client (IP) may ask for in 15 minutes."
    )
    goal_hosts: str = Field(
        default="",
        description="Hosts a campaign's goal URL may point to, comma-separated; by default "
        "the alumni system's host (CAMPAIGNS_ALUMNI_SYSTEM_URL). Tracked links redirect only "
        "there.",
    )
    attribution_days: int = Field(
        default=14, gt=0, description="How far back a message can be credited for a conversion."
    )
    conversion_secret: str | None = Field(
        default=None, description="Shared secret of the alumni system's signed webhook."
    )
    webhook_url_base: str | None = Field(
        default=None,
        description="The public base URL providers call webhooks on, when it differs from "
        "CAMPAIGNS_PUBLIC_URL (e.g. a separate host behind a reverse proxy).",
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("closed_days")
    @classmethod
    def _closed_days(cls, value: str) -> str:
        parse_closed_days(value)
        return value

    @field_validator("holidays")
    @classmethod
    def _holiday_country(cls, value: str) -> str:
        if value.strip() and value.strip().upper() not in list_supported_countries():
            raise ValueError(f"no public holidays known for {value!r} (an ISO code: TR)")
        return value.strip().upper()

    @field_validator("frequency_caps")
    @classmethod
    def _caps(cls, value: str) -> str:
        parse_caps(value)
        return value

    @field_validator("email_adapter", "sms_adapter", "whatsapp_adapter")
    @classmethod
    def _providers(cls, value: str) -> str:
        parse_providers(value)
        return value.replace(" ", "")

    @field_validator("public_url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def secret_key_text(self) -> str | None:
        return self.secret_key.get_secret_value() if self.secret_key else None

    @property
    def allowed_goal_hosts(self) -> frozenset[str]:
        """``goal_hosts`` as lower-case host names (the alumni system's by default)."""
        hosts = {h.strip().lower() for h in self.goal_hosts.split(",") if h.strip()}
        return frozenset(hosts or {urlsplit(self.alumni_system_url).hostname or ""} - {""})

    @property
    def attribution_window(self) -> timedelta:
        return timedelta(days=self.attribution_days)

    @property
    def zone(self) -> ZoneInfo:
        """The default time zone as an object."""
        return ZoneInfo(self.timezone)

    @property
    def shared_redis_url(self) -> str | None:
        """Redis for cross-worker state: explicit, or the broker when it is Redis."""
        if self.redis_url:
            return self.redis_url
        if self.broker_url and self.broker_url.startswith(("redis://", "rediss://")):
            return self.broker_url
        return None

    def adapter_for(self, channel: str) -> str:
        """The adapter with the largest configured share of a channel."""
        return max(self.providers_for(channel), key=lambda pair: pair[1])[0]

    def providers_for(self, channel: str) -> list[tuple[str, int]]:
        """The adapters configured for a channel with their shares, as written."""
        configured = {
            "email": self.email_adapter,
            "sms": self.sms_adapter,
            "whatsapp": self.whatsapp_adapter,
        }[channel]
        return parse_providers(configured)


def parse_providers(text: str) -> list[tuple[str, int]]:
    """``"netgsm:70,twilio-sms:30"`` → ``[("netgsm", 70), ("twilio-sms", 30)]``; a name
    alone has the share 100. ``ValueError`` names what is wrong."""
    found: list[tuple[str, int]] = []
    for part in text.replace(" ", "").split(","):
        # "module:Class" names an adapter too: a share is digits after the last colon.
        name, colon, weight = part.rpartition(":")
        if not colon or not weight.isdigit():
            name, weight = part, ""
        if not name:
            raise ValueError(f"an adapter name is missing in {text!r}")
        share = int(weight) if weight else 100
        if not 0 <= share <= 1000:
            raise ValueError(f"the share of {name!r} must be between 0 and 1000")
        if name in (n for n, _ in found):
            raise ValueError(f"{name!r} is listed twice")
        found.append((name, share))
    return found


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (read once)."""
    return Settings()

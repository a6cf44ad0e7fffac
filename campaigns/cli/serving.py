"""``campaigns serve`` (the HTTP app) and ``campaigns simulate-providers`` (the stand-in)."""

from __future__ import annotations

from typing import Annotated

import typer

from campaigns.cli.output import console


def serve(
    host: Annotated[str, typer.Option(help="Adres / bind address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8000,
    workers: Annotated[int, typer.Option(help="Süreç sayısı / processes.")] = 1,
) -> None:
    """Web uygulamasını çalıştır / serve the API, webhooks, links and health checks
    (FastAPI on uvicorn)."""
    import uvicorn  # the server and the simulator load only for the commands that run them

    uvicorn.run(
        "campaigns.http.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
    )


def simulate_providers(
    port: Annotated[int, typer.Option(help="Port.")] = 8900,
    events_url: Annotated[
        str | None,
        typer.Option(
            help="SendGrid olaylarının gideceği adres / where email events are posted, "
            "e.g. http://127.0.0.1:8000/webhooks/sendgrid/events."
        ),
    ] = None,
    error_rate: Annotated[float, typer.Option(help="5xx oranı / share of 5xx answers.")] = 0.0,
    rate_limit_rate: Annotated[float, typer.Option(help="429 oranı / share of 429s.")] = 0.0,
    timeout_rate: Annotated[float, typer.Option(help="Yanıtsız / share never answered.")] = 0.0,
    latency: Annotated[float, typer.Option(help="Saniye / seconds per answer.")] = 0.0,
    duplicate_rate: Annotated[float, typer.Option(help="Çift geri çağrı / duplicates.")] = 0.0,
    reorder_rate: Annotated[float, typer.Option(help="Sırasız / out of order.")] = 0.0,
    callbacks: Annotated[
        bool, typer.Option(help="Durum bildirimleri / send status callbacks.")
    ] = True,
) -> None:
    """Sağlayıcı simülatörünü çalıştır / run stand-ins of the Twilio and SendGrid APIs that
    call our webhooks back, signed."""
    from simulator.core import SimulatorConfig
    from simulator.server import run as run_simulator

    config = SimulatorConfig(
        sendgrid_event_url=events_url,
        error_rate=error_rate,
        rate_limit_rate=rate_limit_rate,
        timeout_rate=timeout_rate,
        latency=latency,
        duplicate_rate=duplicate_rate,
        reorder_rate=reorder_rate,
        callbacks=callbacks,
    )
    base = f"http://127.0.0.1:{port}"
    console.print("Servisi simülatöre yönlendirmek için / to point the service at it:")
    for name, value in (
        ("TWILIO_API_BASE_URL", base),
        ("TWILIO_ACCOUNT_SID", config.twilio_account_sid),
        ("TWILIO_AUTH_TOKEN", config.twilio_auth_token),
        ("SENDGRID_API_HOST", base),
        ("SENDGRID_API_KEY", config.sendgrid_api_key),
        ("SENDGRID_WEBHOOK_PUBLIC_KEY", config.sendgrid_public_key),
        ("NETGSM_API_URL", base),
        ("NETGSM_USERNAME", config.netgsm_username),
        ("NETGSM_PASSWORD", config.netgsm_password),
        ("NETGSM_MSGHEADER", config.netgsm_msgheader),
    ):
        console.print(f"  {name}={value}", highlight=False, soft_wrap=True)
    run_simulator(config, port)

"""The HTTP face: provider webhooks, unsubscribe links, health (FastAPI on uvicorn)."""

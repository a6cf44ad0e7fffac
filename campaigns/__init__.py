"""Registration reminder campaigns for graduating students: email, SMS and WhatsApp."""

__version__ = "0.1.0"

"""The web app for advisors, coordinators, the alumni office and the Student Affairs desk:
server-rendered pages in Turkish first (English switchable), calling the same use cases as
the CLI and the API."""

"""Who may do what: users and their tokens, scopes, and the audit log."""

"""Mail: the sender that delivers the outbox through the organisation's SMTP relay (built on deskapp.actions)."""

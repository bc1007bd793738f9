"""Events: the transactional outbox, the event feed and signed webhooks."""

"""Notifications: the in-app inbox, one-time codes and the SMS outbox."""

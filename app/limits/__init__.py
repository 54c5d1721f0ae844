"""Limits on what one client, and all clients together, can make the service do."""

"""Orders: two tables written together, in one transaction per request."""

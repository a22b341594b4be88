"""Admin REST API endpoints for clients, their secrets and roles (mounted by adminconsole.api)."""

"""Admin REST API endpoints for client profiles and client policies (mounted by adminconsole.api)."""

"""The service fixtures live in harness.py so the end-to-end tests can import them too."""

from tests.engine.service.harness import alice, client, postgres_url, service, start_service

__all__ = ["alice", "client", "postgres_url", "service", "start_service"]

"""The engine service: HTTP API, durable job queue and worker, auth, and the EngineClient used by the bots."""

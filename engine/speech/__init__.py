"""Speech engines: the protocol, the registry and the built-in engines."""

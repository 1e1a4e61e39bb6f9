"""The Discord bot: slash commands that turn a typed message into the sender's voice and face."""

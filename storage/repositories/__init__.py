"""Async operations on the schema, one module per aggregate.

Functions take an `AsyncSession` (the caller owns the transaction: `async with db.session() as s:`), except
the few that also touch the blob store or need their own transactions (`blobrefs`, `privacy`), which take the
`Database`. All raise only `storage.errors`.
"""

from storage.repositories import blobrefs, clips, consent, guilds, jobs, phrases, privacy, profiles, users

__all__ = ["blobrefs", "clips", "consent", "guilds", "jobs", "phrases", "privacy", "profiles", "users"]

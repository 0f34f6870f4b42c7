"""`bulletin serve`: the Starlette app, its endpoints and the digest archive."""

"""bulletin: Grav-style Markdown posts to feeds and email digests."""

__version__ = "0.1.0"

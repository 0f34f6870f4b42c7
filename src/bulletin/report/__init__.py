"""`bulletin report`: one static HTML page of charts about the subscribers and the digests."""

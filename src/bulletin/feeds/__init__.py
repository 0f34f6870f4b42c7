"""Posts -> feed documents and the files a build writes (cache, WebSub)."""

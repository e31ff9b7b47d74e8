"""The space as an HTTP service (FastAPI): the same ``Space`` methods the
embedded transport calls, behind API keys, roles and problem-details errors."""

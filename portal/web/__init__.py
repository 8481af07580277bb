"""The web layer: the only code that knows Litestar."""

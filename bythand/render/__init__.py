"""Renderers: a Trace in, text or renderables out. They never print."""

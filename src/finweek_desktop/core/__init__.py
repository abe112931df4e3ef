"""The UI-free core: catalog model and service, search index, seed data.

Nothing in this package imports Qt; the CLI, the GUI and the tests use it the
same way.
"""

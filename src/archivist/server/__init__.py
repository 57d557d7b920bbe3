"""The tracking server: one Starlette app over the library's stores.

Build it with :func:`archivist.server.app.create_app`; run it with ``archivist server``.
"""

"""Model flavors: each a small module with save_model / log_model / load_model.

Built-in flavors are reached as ``archivist.sklearn`` and ``archivist.pyfunc``.
"""

"""Content-addressed blob stores, chosen by URI scheme (see ``archivist.stores.schemes``)."""

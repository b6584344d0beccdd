"""Paper-scale cost on paper (``hhir estimate``), a plugin of the ``hhir`` command."""

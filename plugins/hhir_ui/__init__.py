"""The local demo page (``hhir ui``), a plugin of the ``hhir`` command (extra ``hhir[ui]``)."""

"""A small but real plugin used by the engine tests (dataset + MLP classifier).

It is put on ``sys.path`` together with a ``.dist-info`` folder, exactly how an
installed plugin is discovered, so the tests exercise entry-point loading too.
"""

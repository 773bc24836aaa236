"""Orders tests use the shared fixtures (portal/testing.py): `meta_shop` is shop A connected
through the FBE dialog with its order management app registered."""

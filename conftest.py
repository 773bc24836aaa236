"""The shared fixtures live in one plugin module, `portal/testing.py` (people, shops, clients,
the sandbox, a shop connected through the FBE dialog, Chromium)."""

pytest_plugins = ["portal.testing"]

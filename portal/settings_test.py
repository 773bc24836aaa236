"""Test settings: the production settings module with only what tests must change."""

from portal.settings import *  # noqa: F403
from portal.settings import Q_CLUSTER

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
Q_CLUSTER = {**Q_CLUSTER, "sync": True}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

# With Redis (the PostgreSQL + Redis run), each pytest-xdist worker keeps its cache keys apart:
# the workers share the Redis server, and every test starts by emptying its own keys
# (portal.testing.clear_cache), never the whole database.
if CACHES["default"]["BACKEND"].endswith("RedisCache"):  # noqa: F405
    import os as _os

    CACHES = {"default": {**CACHES["default"],  # noqa: F405
                          "KEY_PREFIX": f"test:{_os.environ.get('PYTEST_XDIST_WORKER', 'main')}"}}

"""State changes of the sandbox's world: businesses and their assets, FBE installs, OAuth
codes, uninstalls and the "bad states" used to test onboarding health checks.

Modules: `businesses` (a business, its people and assets), `fbe` (`create_business` as FBE
leaves it, installs and uninstalls), `codes` (the dialog's OAuth codes), `states` (reset and
the bad states). Import the names from `meta_sandbox.services`.

Every function here is called inside a transaction by its caller (a Graph handler runs in
one; control views use `transaction.atomic`).
"""

from __future__ import annotations

from .businesses import (
    admin_user,
    app_name,
    assets,
    ensure_assets,
    find_business,
    new_business,
    new_node,
    system_user,
)
from .codes import complete_dialog, find_code, user_token_for_code
from .fbe import active_install, create_business, install_fbe, install_payload, installed_features, uninstall
from .states import BAD_STATES, reset, set_business_state

__all__ = [
    "BAD_STATES", "active_install", "admin_user", "app_name", "assets", "complete_dialog", "create_business",
    "ensure_assets", "find_business", "find_code", "install_fbe", "install_payload", "installed_features",
    "new_business", "new_node", "reset", "set_business_state", "system_user", "uninstall", "user_token_for_code",
]

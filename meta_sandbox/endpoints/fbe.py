"""Facebook Business Extension: `GET`/`DELETE /fbe_business/fbe_installs` (META_API §5.2)."""

from __future__ import annotations

from .. import errors, services
from ..fields import names
from ..params import P
from ..router import route

INSTALL_FIELDS = ("business_manager_id", "commerce_merchant_settings_id", "onsite_eligible", "pixel_id", "profiles",
                  "ad_account_id", "catalog_id", "pages", "instagram_profiles", "token_type",
                  "commerce_partner_integration_id", "installed_features")
EXTERNAL_ID = P("fbe_external_business_id", required=True)


def _visible_install(ctx, external_id: str):
    token = ctx.require_user_token()
    install = services.active_install(external_id)
    if install is None or install.business_id != token.business_id:
        return None
    return install


@route("GET", "fbe_business/fbe_installs", perms=("manage_business_extension",), params=(EXTERNAL_ID,))
def fbe_installs(ctx):
    install = _visible_install(ctx, ctx.args["fbe_external_business_id"])
    if install is None:
        return {"data": []}
    payload = services.install_payload(install)
    wanted = names(ctx.selection)
    if wanted:
        for name in wanted:
            if name not in INSTALL_FIELDS:
                raise errors.nonexisting_field(name, "FBEInstall")
        payload = {k: v for k, v in payload.items() if k in wanted}
    return {"data": [payload]}


@route("DELETE", "fbe_business/fbe_installs", perms=("manage_business_extension",), params=(EXTERNAL_ID,))
def fbe_uninstall(ctx):
    external_id = ctx.args["fbe_external_business_id"]
    install = _visible_install(ctx, external_id)
    if install is None:
        raise errors.invalid_param(f"No FBE installation found for fbe_external_business_id {external_id}",
                                   error_data={"blame_field_specs": [["fbe_external_business_id"]]})
    services.uninstall(install)
    return {"success": True}

"""The control API (SandboxControl), the bad-state switches seen through Graph, idempotency
replay, and state surviving as rows."""

from __future__ import annotations

import pytest

from meta_sandbox import services
from meta_sandbox.models import Node
from meta_sandbox.params import P
from meta_sandbox.router import registry, route
from meta_sandbox.testing import SandboxControlError

from .conftest import error_of

# A write endpoint keyed by idempotency_key, registered the way an endpoint module would.
NOTES = "{cms:commerce_merchant_settings}/sandbox_test_notes"
if not any(r.pattern == NOTES for r in registry.node_routes):
    @route("POST", NOTES, idempotency="required", params=(P("note", required=True),))
    def _add_note(ctx):
        node = services.new_node("sandbox_test_note", business_id=ctx.node.business_id, parent_id=ctx.node.gid,
                                 text=ctx.args["note"])
        return {"id": node.gid}


def test_reset_forgets_everything(sandbox, graph, biz):
    sandbox.add_fault(path="nothing", kind="drop", count=None)
    graph.get("me", token=biz["access_token"])
    sandbox.reset()
    state = sandbox.state()
    assert state["businesses"] == [] and state["tokens"] == [] and sandbox.faults() == []
    assert sandbox.requests() == [] and sandbox.webhooks() == []
    assert error_of(graph.get("me", token=biz["access_token"]))["code"] == 190


def test_state_lists_ids_by_kind(sandbox, biz):
    state = sandbox.state()
    assert state["businesses"] == [biz["business_id"]]
    assert state["catalogs"] == [biz["catalog_id"]] and state["pixels"] == [biz["pixel_id"]]
    assert state["pages"] == [biz["page_id"]] and state["instagram_accounts"] == [biz["instagram_profile_id"]]
    assert state["commerce_merchant_settings"] == [biz["commerce_merchant_settings_id"]]
    assert state["fbe_installs"][0]["external_business_id"] == "shop-1"
    assert all(biz["access_token"] not in str(t) for t in state["tokens"])


def test_create_business_options(sandbox, graph):
    bare = sandbox.create_business(name="Bare", with_catalog=False, with_pixel=False, with_merchant_settings=False)
    assert bare["catalog_id"] is None and bare["pixel_id"] is None
    assert bare["commerce_merchant_settings_id"] is None and bare["fbe_install_id"] is None
    assert graph.get("me", token=bare["access_token"]).status_code == 200


def test_mint_token_kinds_and_scopes(sandbox, graph, biz):
    user_token = sandbox.mint_token(biz["business_id"], scopes=["business_management"], expires_in=60)
    assert graph.get("me", token=user_token).json()["id"] == biz["user_id"]
    assert error_of(graph.get(biz["catalog_id"], token=user_token))["code"] == 200
    with pytest.raises(SandboxControlError):
        sandbox.mint_token(biz["business_id"], scopes=["read_minds"])
    with pytest.raises(SandboxControlError):
        sandbox.mint_token("123")


def test_objects_can_be_read_patched_and_deleted(sandbox, graph, biz):
    cms = biz["commerce_merchant_settings_id"]
    assert sandbox.get_object(cms)["type"] == "commerce_merchant_settings"
    sandbox.patch_object(cms, cta="OFFSITE_LINK", display_name="Renamed")
    body = graph.get(cms, token=biz["access_token"], fields="cta,display_name,onsite_commerce_merchant",
                     version="v25.0").json()
    assert body == {"cta": "OFFSITE_LINK", "display_name": "Renamed", "id": cms}
    sandbox.delete_object(biz["pixel_id"])
    assert error_of(graph.get(biz["pixel_id"], token=biz["access_token"]))["error_subcode"] == 33
    with pytest.raises(SandboxControlError):
        sandbox.get_object("123")


def test_bad_state_merchant_disabled(sandbox, graph, biz):
    sandbox.set_business_state(biz["business_id"], "merchant_disabled")
    cms = biz["commerce_merchant_settings_id"]
    body = graph.get(cms, token=biz["access_token"],
                     fields="merchant_status,review_rejection_reasons,review_rejection_messages", version="v25.0").json()
    assert body["merchant_status"] == "EXTERNALLY_DISABLED"
    assert body["review_rejection_reasons"] and body["review_rejection_messages"]
    setup = graph.get(f"{cms}/setup_status", token=biz["access_token"]).json()["data"][0]
    assert setup["review_status"]["status"] == "REJECTED" and setup["review_status"]["reasons"][0]["message"]


def test_bad_state_setup_incomplete_and_back_to_healthy(sandbox, graph, biz):
    cms = biz["commerce_merchant_settings_id"]
    sandbox.set_business_state(biz["business_id"], "setup_incomplete")
    setup = graph.get(f"{cms}/setup_status", token=biz["access_token"]).json()["data"][0]
    assert (setup["shop_setup"], setup["payment_setup"]) == ("NOT_SETUP", "NOT_SETUP")
    sandbox.set_business_state(biz["business_id"], "healthy")
    setup = graph.get(f"{cms}/setup_status", token=biz["access_token"]).json()["data"][0]
    assert setup["shop_setup"] == "SETUP" and setup["review_status"]["status"] == "APPROVED"


def test_bad_state_no_catalog(sandbox, graph, biz):
    sandbox.set_business_state(biz["business_id"], "no_catalog")
    install = graph.get("fbe_business/fbe_installs", token=biz["access_token"],
                        fbe_external_business_id="shop-1").json()["data"][0]
    assert "catalog_id" not in install
    assert {f["feature_type"] for f in install["installed_features"]} == {"pixel"}
    assert error_of(graph.get(biz["catalog_id"], token=biz["access_token"]))["error_subcode"] == 33
    sandbox.set_business_state(biz["business_id"], "healthy")
    new_catalog = sandbox.state()["catalogs"][0]
    cms = graph.get(f"{biz['commerce_merchant_settings_id']}/product_catalogs", token=biz["access_token"]).json()
    assert [c["id"] for c in cms["data"]] == [new_catalog]


@pytest.mark.parametrize("state, code, subcode", [("token_expired", 190, 463), ("token_revoked", 190, 460)])
def test_bad_state_tokens(sandbox, graph, biz, state, code, subcode):
    sandbox.set_business_state(biz["business_id"], state)
    error = error_of(graph.get("me", token=biz["access_token"]))
    assert (error["code"], error["error_subcode"]) == (code, subcode)
    sandbox.set_business_state(biz["business_id"], "healthy")
    assert graph.get("me", token=biz["access_token"]).status_code == 200


def test_bad_state_permission_missing(sandbox, graph, biz):
    sandbox.set_business_state(biz["business_id"], "permission_missing", scope="manage_business_extension")
    permissions = graph.get("me/permissions", token=biz["access_token"]).json()["data"]
    assert {"permission": "manage_business_extension", "status": "declined"} in permissions
    error = error_of(graph.get("fbe_business/fbe_installs", token=biz["access_token"],
                               fbe_external_business_id="shop-1"))
    assert error["code"] == 200
    with pytest.raises(SandboxControlError):
        sandbox.set_business_state(biz["business_id"], "on_fire")


def test_idempotency_key_replays_the_same_request_and_refuses_another(graph, biz):
    path = f"{biz['commerce_merchant_settings_id']}/sandbox_test_notes"
    token = biz["access_token"]
    first = graph.post(path, token=token, note="hello", idempotency_key="k-1")
    again = graph.post(path, token=token, note="hello", idempotency_key="k-1")
    assert first.status_code == again.status_code == 200
    assert first.json() == again.json() and again.headers["X-Sandbox-Idempotent-Replay"] == "true"
    assert Node.objects.filter(type="sandbox_test_note").count() == 1
    conflict = error_of(graph.post(path, token=token, note="other", idempotency_key="k-1"))
    assert conflict["code"] == 100 and "idempotency key" in conflict["message"]
    assert error_of(graph.post(path, token=token, note="x"))["message"] == (
        "(#100) The parameter idempotency_key is required")
    assert graph.post(path, token=token, note="hello", idempotency_key="k-2").json() != first.json()


def test_journal_filters(sandbox, graph, biz):
    graph.get("me", token=biz["access_token"])
    graph.get(biz["catalog_id"], token=biz["access_token"])
    graph.post(biz["commerce_merchant_settings_id"], token=biz["access_token"], merchant_status="ENABLED")
    assert [r["path"] for r in sandbox.requests(path="me")] == ["me"]
    assert [r["method"] for r in sandbox.requests(method="POST")] == ["POST"]
    assert len(sandbox.requests(path="1*")) == 2
    rows = sandbox.requests()
    assert [r["path"] for r in rows][0] == "me"  # oldest first
    assert rows[1]["buc_type"] == "catalog_management" and rows[1]["business_id"] == biz["business_id"]

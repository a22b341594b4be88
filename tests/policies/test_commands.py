"""manage.py export_client_policies / import_client_policies: Keycloak realm-export keys."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import CommandError, call_command

from policies.services import policies_representation, profiles_representation
from realms.models import AdminEvent
from realms.services import realm_create

pytestmark = pytest.mark.django_db


def _realm_export(profiles: dict, policies: dict) -> dict:
    """A Keycloak realm export: many keys this product ignores, plus the two it imports."""
    return {
        "id": "3f1c0c1e-0b8a-4a43-a7e9-5a3f3e0b4a11",
        "realm": "acme",
        "enabled": True,
        "accessTokenLifespan": 300,
        "clients": [{"clientId": "billing", "secret": "**********"}],
        "roles": {"realm": []},
        "clientProfiles": profiles,
        "clientPolicies": policies,
        "attributes": {"frontendUrl": ""},
        "keycloakVersion": "26.7.1",
    }


def _export(realm: str) -> dict:
    out = io.StringIO()
    call_command("export_client_policies", realm, stdout=out)
    return json.loads(out.getvalue())


def test_import_a_keycloak_realm_export_then_export_it_back(tmp_path, master, weekly_profiles, weekly_policies):
    realm_create(name="acme")
    path = tmp_path / "acme-realm.json"
    path.write_text(json.dumps(_realm_export(weekly_profiles, weekly_policies)))
    out = io.StringIO()
    call_command("import_client_policies", "acme", str(path), stdout=out)
    assert out.getvalue().strip() == "Imported 1 client profile(s) and 1 client policy(ies) into realm acme."
    assert _export("acme") == {"clientProfiles": weekly_profiles, "clientPolicies": weekly_policies}
    assert _export("master") == {"clientProfiles": {"profiles": []}, "clientPolicies": {"policies": []}}
    assert AdminEvent.objects.filter(realm__name="acme", auth_username="manage.py import_client_policies").count() == 2


def test_export_output_can_be_imported_into_another_realm(tmp_path, master, weekly_profiles, weekly_policies):
    call_command("import_client_policies", "master", _write(tmp_path, {"clientProfiles": weekly_profiles, "clientPolicies": weekly_policies}), stdout=io.StringIO())
    realm_create(name="copy")
    call_command("import_client_policies", "copy", _write(tmp_path, _export("master")), stdout=io.StringIO())
    assert _export("copy") == _export("master")


def _write(tmp_path, document) -> str:
    path = tmp_path / "export.json"
    path.write_text(json.dumps(document) if not isinstance(document, str) else document)
    return str(path)


def test_refused_import_changes_nothing_and_says_why(tmp_path, master, weekly_profiles, weekly_policies):
    call_command("import_client_policies", "master", _write(tmp_path, {"clientProfiles": weekly_profiles}), stdout=io.StringIO())
    bad = json.loads(json.dumps(weekly_profiles))
    bad["profiles"][0]["executors"][0]["configuration"]["rotated-expiration-period"] = "604800"
    with pytest.raises(CommandError) as caught:
        call_command("import_client_policies", "master", _write(tmp_path, _realm_export(bad, weekly_policies)))
    assert str(caught.value) == (
        "Nothing was imported: proposed client profile contains the executor, which does not have valid provider, "
        "or has invalid configuration."
    )
    policies = json.loads(json.dumps(weekly_policies))
    policies["policies"][0]["profiles"] = ["Unknown"]
    with pytest.raises(CommandError) as caught:
        call_command("import_client_policies", "master", _write(tmp_path, _realm_export({"profiles": []}, policies)))
    assert str(caught.value) == "Nothing was imported: Policy Client Secret Rotation Policy contains invalid profile Unknown"
    assert profiles_representation(master) == weekly_profiles, "the profiles half was rolled back"
    assert policies_representation(master) == {"policies": []}


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "is not valid JSON: Expecting property name enclosed in double quotes"),
        ('{"clientProfiles": {"profiles": [{"name": "\\ud800"}]}}', "is not valid JSON: Invalid \\u escape: a lone surrogate"),
        ("[" * 100_000 + "]" * 100_000, "is not valid JSON: Nesting deeper than 100 levels"),
        ('"text"', "The file is not a realm export (expected a JSON object)"),
        ('{"realm": "acme", "clients": []}', "The file has neither clientProfiles nor clientPolicies"),
        ('[{"realm": "other", "clientProfiles": {}}]', "The file has no realm named master"),
    ],
)
def test_bad_files_are_refused_clearly(tmp_path, master, content, message):
    with pytest.raises(CommandError) as caught:
        call_command("import_client_policies", "master", _write(tmp_path, content))
    assert message in str(caught.value)


def test_missing_realm_and_file(tmp_path, master):
    with pytest.raises(CommandError, match="Realm nope not found"):
        call_command("export_client_policies", "nope")
    with pytest.raises(CommandError, match="Realm nope not found"):
        call_command("import_client_policies", "nope", str(tmp_path / "x.json"))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_client_policies", "master", str(tmp_path / "missing.json"))


def test_a_half_that_is_absent_is_left_unchanged(tmp_path, master, weekly_profiles, weekly_policies):
    call_command("import_client_policies", "master", _write(tmp_path, {"clientProfiles": weekly_profiles, "clientPolicies": weekly_policies}), stdout=io.StringIO())
    out = io.StringIO()
    call_command("import_client_policies", "master", _write(tmp_path, {"clientPolicies": {}}), stdout=out)
    assert "0 client policy(ies)" in out.getvalue()
    assert profiles_representation(master) == weekly_profiles
    assert policies_representation(master) == {"policies": []}

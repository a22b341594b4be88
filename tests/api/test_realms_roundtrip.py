"""Realms round-trip (issue 20): a realm's ``id`` is kept, every RealmRepresentation field not acted
on is stored as sent (secrets masked) and answered by GET, so an export re-imports equal."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from keycloak import KeycloakAdmin

from realms.models import AdminEvent, Realm
from tests.api.conftest import compact
from tests.api.test_python_keycloak import ONE_REQUEST_PER_CONNECTION
from tests.conftest import ADMIN_PASSWORD

EXPORT = json.loads((Path(__file__).parent.parent / "realms" / "realm-export.json").read_text())


def export() -> dict:
    return copy.deepcopy(EXPORT)


def test_an_export_posted_is_answered_back_unchanged(api):
    assert api.post("/admin/realms", export()).status_code == 201
    assert api.get("/admin/realms/acme-prod").json() == EXPORT
    [listed] = [rep for rep in api.get("/admin/realms").json() if rep["realm"] == "acme-prod"]
    assert listed == EXPORT


def test_reimported_under_a_new_name_it_compares_equal_but_for_id_and_name(api):
    api.post("/admin/realms", export())
    exported = api.get("/admin/realms/acme-prod").json()
    copy_ = {**exported, "realm": "acme-staging"}
    del copy_["id"]  # ids are unique: a second copy gets its own (the name, when none is given)
    assert api.post("/admin/realms", copy_).status_code == 201
    again = api.get("/admin/realms/acme-staging").json()
    assert again == {**exported, "id": "acme-staging", "realm": "acme-staging"}


def test_delete_and_reimport_keeps_everything_including_the_id(api):
    api.post("/admin/realms", export())
    exported = api.get("/admin/realms/acme-prod").json()
    assert api.delete("/admin/realms/acme-prod").status_code == 204
    assert api.post("/admin/realms", exported).status_code == 201
    assert api.get("/admin/realms/acme-prod").json() == exported


def test_an_edited_export_reimports_with_the_edit(api):
    api.post("/admin/realms", export())
    exported = api.get("/admin/realms/acme-prod").json()
    exported["smtpServer"]["host"] = "mail.acme.example"
    exported["attributes"]["frontendUrl"] = "https://id.acme.example"
    assert api.put("/admin/realms/acme-prod", exported).status_code == 204
    assert api.get("/admin/realms/acme-prod").json() == exported


class TestId:
    def test_the_id_given_is_kept_and_the_name_is_the_default(self, api):
        api.post("/admin/realms", {"realm": "acme", "id": "0b5a7c1e-aaaa-4bbb-8ccc-123456789abc"})
        api.post("/admin/realms", {"realm": "plain"})
        assert api.get("/admin/realms/acme").json()["id"] == "0b5a7c1e-aaaa-4bbb-8ccc-123456789abc"
        assert api.get("/admin/realms/plain").json()["id"] == "plain"
        assert api.get("/admin/realms/master").json()["id"] == "master"

    def test_put_does_not_change_the_id(self, api):
        api.post("/admin/realms", {"realm": "acme", "id": "first"})
        assert api.put("/admin/realms/acme", {"id": "second", "displayName": "A"}).status_code == 204
        assert api.get("/admin/realms/acme").json()["id"] == "first"

    def test_an_id_another_realm_has_is_409(self, api):
        api.post("/admin/realms", {"realm": "acme", "id": "shared"})
        response = api.post("/admin/realms", {"realm": "other", "id": "shared"})
        assert response.status_code == 409
        assert response.content == compact({"errorMessage": "Conflict detected. See logs for details"})
        assert not Realm.objects.filter(name="other").exists()

    @pytest.mark.parametrize("bad", ["a/b", "a?b", "a#b", "a%2F", "tab\there", "sp ace", "..", "x" * 256])
    def test_reserved_characters_are_400(self, api, bad):
        response = api.post("/admin/realms", {"realm": "acme", "id": bad})
        assert response.status_code == 400
        assert set(response.json()) <= {"error", "errorMessage"}
        assert not Realm.objects.filter(name="acme").exists()

    def test_the_admin_event_names_the_id(self, api):
        api.post("/admin/realms", {"realm": "acme", "id": "kc-id"})
        event = AdminEvent.objects.filter(resource_type="REALM", operation_type="CREATE").latest("id")
        assert json.loads(event.representation)["id"] == "kc-id"


class TestExtras:
    def test_put_replaces_a_field_sent_whole_and_keeps_the_others_and_nulls(self, api):
        api.post("/admin/realms", export())
        body = {"smtpServer": {"host": "new.example", "from": "a@new.example"}, "loginTheme": None, "browserFlow": "custom"}
        assert api.put("/admin/realms/acme-prod", body).status_code == 204
        rep = api.get("/admin/realms/acme-prod").json()
        assert rep["smtpServer"] == {"host": "new.example", "from": "a@new.example"}  # replaced, not deep-merged
        assert rep["loginTheme"] == "acme"  # null: not sent
        assert rep["browserFlow"] == "custom"
        assert rep["attributes"] == EXPORT["attributes"]  # not sent: kept

    def test_stored_extras_never_shadow_the_fields_acted_on(self, api):
        api.post("/admin/realms", {"realm": "acme", "accessTokenLifespan": 120})
        # Even a row written around the API (an old version, a hand edit) cannot speak for them.
        Realm.objects.filter(name="acme").update(extras={
            "realm": "evil", "id": "evil", "enabled": False, "accessTokenLifespan": 1, "adminEventsEnabled": False,
            "clientPolicies": {"policies": [{"name": "fake"}]}, "loginTheme": "kept"})
        rep = api.get("/admin/realms/acme").json()
        assert (rep["realm"], rep["id"], rep["enabled"], rep["accessTokenLifespan"]) == ("acme", "acme", True, 120)
        assert rep["adminEventsEnabled"] is True
        assert rep["clientPolicies"] == {"policies": []}
        assert rep["loginTheme"] == "kept"

    def test_fields_acted_on_are_validated_as_before(self, api):
        body = {**export(), "accessTokenLifespan": "soon"}
        assert api.post("/admin/realms", body).status_code == 400
        assert not Realm.objects.filter(name="acme-prod").exists()

    def test_secrets_in_extras_are_never_stored(self, api):
        body = export()
        body["smtpServer"]["password"] = "hunter2-smtp"
        body["identityProviders"][0]["config"]["clientSecret"] = "idp-s3cret"
        body["privateKey"] = "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC"
        body["codeSecret"] = "code-s3cret"
        assert api.post("/admin/realms", body).status_code == 201
        assert api.put("/admin/realms/acme-prod", {"smtpServer": {"password": "hunter3-smtp"}}).status_code == 204
        stored = json.dumps(Realm.objects.get(name="acme-prod").extras)
        answered = api.get("/admin/realms/acme-prod").content.decode()
        events = " ".join(AdminEvent.objects.values_list("representation", flat=True))
        for secret in ("hunter2-smtp", "hunter3-smtp", "idp-s3cret", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "code-s3cret"):
            assert secret not in stored and secret not in answered and secret not in events
        assert json.loads(answered)["smtpServer"] == {"password": "**********"}

    def test_import_only_collections_are_accepted_and_not_echoed(self, api):
        body = {"realm": "acme", "clients": [{"clientId": "ghost", "secret": "x"}], "users": [{"username": "u"}],
                "roles": {"realm": []}, "groups": []}
        assert api.post("/admin/realms", body).status_code == 201
        rep = api.get("/admin/realms/acme").json()
        assert not {"clients", "users", "roles", "groups"} & set(rep)
        assert Realm.objects.get(name="acme").extras == {}

    def test_a_representation_over_a_megabyte_is_400_and_writes_nothing(self, api):
        big = {"realm": "acme", "localizationTexts": {"en": {f"key{i}": "x" * 1000 for i in range(1100)}}}
        response = api.post("/admin/realms", big)
        assert response.status_code == 400
        assert response.content == compact({"errorMessage": "Realm representation larger than 1000000 bytes"})
        assert not Realm.objects.filter(name="acme").exists()
        api.post("/admin/realms", {"realm": "acme", "loginTheme": "small"})
        assert api.put("/admin/realms/acme", {**big, "displayName": "changed"}).status_code == 400
        realm = Realm.objects.get(name="acme")
        assert realm.extras == {"loginTheme": "small"} and realm.display_name == ""

    @pytest.mark.parametrize("raw", [b"[1,2]", b'"text"', b"{not json", b'{"realm": "acme", "smtpServer": NaN}',
                                     b"null", b'{"realm": "acme", "attributes": ' + b"[" * 200 + b"]" * 200 + b"}"])
    def test_hostile_bodies_are_400(self, api, raw):
        response = api.client.post("/admin/realms", raw, content_type="application/json", **api._headers({}))
        assert response.status_code == 400
        assert set(response.json()) <= {"error", "error_description", "errorMessage"}
        assert not Realm.objects.filter(name="acme").exists()

    def test_viewers_without_view_realm_get_the_brief_list_without_extras(self, api, api_as):
        api.post("/admin/realms", export())
        brief = [rep for rep in api_as("view-clients").get("/admin/realms").json() if rep["realm"] == "acme-prod"]
        assert brief == [{"id": EXPORT["id"], "realm": "acme-prod", "displayName": "ACME production", "enabled": True}]
        assert api_as("view-realm").get("/admin/realms/acme-prod").json() == EXPORT

    def test_the_list_reads_a_fixed_number_of_queries(self, api, django_assert_max_num_queries):
        for i in range(5):
            api.post("/admin/realms", {**export(), "realm": f"r{i}", "id": f"id-{i}"})
        with django_assert_max_num_queries(30) as captured:
            api.get("/admin/realms")
        few = len(captured)
        for i in range(5, 15):
            api.post("/admin/realms", {**export(), "realm": f"r{i}", "id": f"id-{i}"})
        with django_assert_max_num_queries(few + 20 * 2):  # the client-policy reads per realm, as before
            assert len(api.get("/admin/realms").json()) == 16


@pytest.mark.django_db(transaction=True)
def test_python_keycloak_get_realm_and_create_realm_round_trip(live_server, master, admin_user):
    admin = KeycloakAdmin(server_url=live_server.url + "/", username=admin_user.username, password=ADMIN_PASSWORD,
                          realm_name="master", user_realm_name="master", client_id="admin-cli",
                          custom_headers=ONE_REQUEST_PER_CONNECTION)
    try:
        admin.create_realm(export())
        exported = admin.get_realm("acme-prod")
        assert exported == EXPORT
        admin.delete_realm("acme-prod")
        admin.create_realm(exported)
        assert admin.get_realm("acme-prod") == exported
        admin.create_realm({**{k: v for k, v in exported.items() if k != "id"}, "realm": "acme-copy"})
        assert admin.get_realm("acme-copy") == {**exported, "id": "acme-copy", "realm": "acme-copy"}
        admin.update_realm("acme-copy", {"attributes": {"frontendUrl": "https://copy.example"}})
        assert admin.get_realm("acme-copy")["attributes"] == {"frontendUrl": "https://copy.example"}
    finally:
        admin.connection._s.close()

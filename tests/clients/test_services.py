"""Client services: create/update/delete, secrets (encryption, regenerate, rotated), roles,
registration access token, and the representation they read and write."""

from __future__ import annotations

import hashlib
import io
import json

import pytest
import time_machine
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction

from clients import crypto, selectors, services
from clients import secrets as secret_store
from clients.models import Client, ClientRole, ClientSecret
from clients.representations import MASK, RepresentationError, client_representation
from policies.engine import ClientPolicyError
from realms.actor import Actor
from realms.models import AdminEvent
from tests.factories import (
    ANY_CLIENT,
    ClientFactory,
    ClientRoleFactory,
    PublicClientFactory,
    confidential_only_policy,
    policy_make,
    profile_make,
    rotation_policy_make,
)

ACTOR = Actor(source="console", username="admin", user_id="1", auth_realm="master")
T0 = 1_780_000_000  # 2026-05-28


def raw_secret_column(client: Client, kind: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT value_encrypted FROM {ClientSecret._meta.db_table} WHERE client_id = %s AND kind = %s",
            [client.pk.hex if connection.vendor == "sqlite" else client.pk, kind],
        )
        row = cursor.fetchone()
    return row[0] if row else None


def events(realm, **filters):
    return list(AdminEvent.objects.filter(realm=realm, **filters).order_by("id"))


def rotation_policy(realm, *, expiration=3600, rotated=600, remaining=1800):
    """A secret-rotation profile applied to confidential clients, as the procedure builds it."""
    return rotation_policy_make(
        realm, expiration, rotated, remaining, name="rotation", profile_name="Weekly Client Secret Rotation Profile"
    )


# --- create ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_create_confidential_client_generates_an_encrypted_secret(realm):
    client = services.client_create(realm=realm, representation={"clientId": "app", "publicClient": False}, actor=ACTOR)
    secret = selectors.client_secret_value(client=client, actor=None)
    assert len(secret) == 32 and secret.isalnum()
    raw = raw_secret_column(client, "current")
    assert raw and secret not in raw  # the database column holds no plaintext
    assert crypto.decrypt(raw) == secret
    [event] = events(realm, operation_type="CREATE")
    assert event.resource_type == "CLIENT" and event.resource_path == f"clients/{client.pk}"
    assert event.auth_username == "admin" and secret not in event.representation


@pytest.mark.django_db
def test_create_with_given_secret_and_public_client(realm):
    given = services.client_create(realm=realm, representation={"clientId": "given", "secret": "test-secret"}, actor=ACTOR)
    assert selectors.client_secret_value(client=given, actor=None) == "test-secret"
    assert client_representation(given, include_secret=True)["secret"] == "test-secret"
    public = services.client_create(realm=realm, representation={"clientId": "spa", "publicClient": True}, actor=ACTOR)
    assert not ClientSecret.objects.filter(client=public).exists()
    assert "secret" not in client_representation(public, include_secret=True)


@pytest.mark.django_db
def test_create_refuses_duplicate_client_id(realm):
    services.client_create(realm=realm, representation={"clientId": "app"}, actor=ACTOR)
    with pytest.raises(services.ClientExists, match="^Client app already exists$"):
        services.client_create(realm=realm, representation={"clientId": "app"}, actor=ACTOR)
    assert Client.objects.filter(realm=realm, client_id="app").count() == 1
    assert len(events(realm)) == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    "representation, message",
    [
        ({"clientId": "x", "foo": 1}, 'Unrecognized field "foo"'),
        ({"clientId": "x", "publicClient": "yes"}, 'Field "publicClient" must be true or false'),
        ({"clientId": "x", "redirectUris": "https://a"}, 'Field "redirectUris" must be a list of strings'),
        ({"clientId": "x" * 256}, "too long"),
        ({"clientId": "   "}, "Client ID must not be empty"),
        ({"name": "no id"}, "Client ID is required"),
        ({"clientId": "x", "redirectUris": ["javascript:alert(1)"]}, "A redirect URI is not a valid URI"),
        ({"clientId": "x", "rootUrl": "not a url"}, "Invalid URL in rootUrl"),
        ({"clientId": "x", "attributes": {"a": "v" * 9000}}, 'Attribute "a" is too long'),
        ({"clientId": "x", "attributes": {"client.secret.expiration.time": "soon"}}, "must be a number of seconds"),
        ({"clientId": "x", "protocol": "saml"}, 'Protocol "saml" is not supported'),
        ({"clientId": "x", "clientAuthenticatorType": "magic"}, 'Unknown client authenticator type "magic"'),
        ({"clientId": "x", "redirectUris": [f"https://a/{i}" for i in range(101)]}, "too many entries"),
        (["not", "an", "object"], "Cannot parse the JSON"),
    ],
)
def test_create_refuses_bad_representations_and_writes_nothing(realm, representation, message):
    with pytest.raises(RepresentationError, match=message):
        services.client_create(realm=realm, representation=representation, actor=ACTOR)
    assert not Client.objects.exists() and not AdminEvent.objects.exists()


@pytest.mark.django_db
def test_create_accepts_keycloak_fields_it_does_not_model(realm):
    rep = {"clientId": "kc", "fullScopeAllowed": True, "protocolMappers": [], "access": {"view": True}, "notBefore": 0}
    client = services.client_create(realm=realm, representation=rep, actor=ACTOR)
    assert client.client_id == "kc"


@pytest.mark.django_db
def test_create_writes_rotation_attributes_to_secret_rows(realm):
    rep = {
        "clientId": "imported",
        "secret": "current-secret",
        "attributes": {
            "client.secret.creation.time": str(T0),
            "client.secret.expiration.time": str(T0 + 3600),
            "client.secret.rotated": "old-secret",
            "client.secret.rotated.creation.time": str(T0),
            "client.secret.rotated.expiration.time": str(T0 + 600),
            "custom": "kept",
        },
    }
    client = services.client_create(realm=realm, representation=rep, actor=ACTOR)
    current, rotated = secret_store.secret_rows(client)
    assert (current.created_time, current.expiration_time) == (T0, T0 + 3600)
    assert secret_store.secret_value(rotated) == "old-secret" and rotated.expiration_time == T0 + 600
    assert client.attributes == {"custom": "kept"}  # rotation state is not a free-form attribute
    rendered = client_representation(client, include_secret=True)["attributes"]
    assert rendered == {**rep["attributes"]}
    masked = client_representation(client, include_secret=False)
    assert masked["secret"] == MASK and masked["attributes"]["client.secret.rotated"] == MASK
    assert "old-secret" not in json.dumps(masked) and "current-secret" not in json.dumps(masked)


@pytest.mark.django_db
def test_secure_client_authenticator_default_is_applied_on_register(realm):
    profile_make(realm, "auth", [("secure-client-authenticator", {
        "allowed-client-authenticators": ["client-secret-jwt"], "default-client-authenticator": "client-secret-jwt"})])
    policy_make(realm, "auth", ANY_CLIENT, ["auth"])
    client = services.client_create(realm=realm, representation={"clientId": "jwt"}, actor=ACTOR)
    assert client.client_authenticator_type == "client-secret-jwt"  # the executor amended the proposal


@pytest.mark.django_db
def test_policy_refusal_rolls_back_create(realm):
    confidential_only_policy(realm)
    with pytest.raises(ClientPolicyError) as excinfo:
        services.client_create(realm=realm, representation={"clientId": "spa", "publicClient": True}, actor=ACTOR)
    assert "invalid client access type" in excinfo.value.error_description
    assert not Client.objects.exists() and not AdminEvent.objects.exists()


# --- update ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_update_is_partial_and_merges_attributes(realm):
    client = ClientFactory(realm=realm, client_id="app", description="before", attributes={"a": "1", "b": "2"})
    secret = selectors.client_secret_value(client=client, actor=None)
    services.client_update(client=client, representation={"name": "App", "attributes": {"b": "3", "a": None, "c": True}}, actor=ACTOR)
    client.refresh_from_db()
    assert (client.name, client.description) == ("App", "before")
    assert client.attributes == {"b": "3", "c": "true"}
    assert selectors.client_secret_value(client=client, actor=None) == secret  # untouched
    [event] = events(realm, operation_type="UPDATE")
    assert json.loads(event.representation)["name"] == "App"


@pytest.mark.django_db
def test_update_clears_secret_of_public_client_and_generates_one_when_confidential(realm):
    client = ClientFactory(realm=realm)
    services.client_update(client=client, representation={"publicClient": True}, actor=ACTOR)
    assert not ClientSecret.objects.filter(client=client).exists()
    services.client_update(client=client, representation={"publicClient": False}, actor=ACTOR)
    assert len(selectors.client_secret_value(client=client, actor=None)) == 32


@pytest.mark.django_db
def test_update_with_masked_or_same_secret_keeps_it(realm):
    with time_machine.travel(T0, tick=False):
        client = ClientFactory(realm=realm, secret="s3cret")
    with time_machine.travel(T0 + 100, tick=False):
        services.client_update(client=client, representation={"secret": MASK}, actor=ACTOR)
        services.client_update(client=client, representation={"secret": "s3cret"}, actor=ACTOR)
    assert selectors.client_secret_value(client=client, actor=None) == "s3cret"
    assert secret_store.secret_rows(client)[0].created_time == T0
    services.client_update(client=client, representation={"secret": "new-value"}, actor=ACTOR)
    assert selectors.client_secret_value(client=client, actor=None) == "new-value"


@pytest.mark.django_db
def test_update_refuses_a_taken_client_id(realm):
    ClientFactory(realm=realm, client_id="taken")
    client = ClientFactory(realm=realm, client_id="mine")
    with pytest.raises(services.ClientExists, match="^Client already exists$"):
        services.client_update(client=client, representation={"clientId": "taken"}, actor=ACTOR)
    client.refresh_from_db()
    assert client.client_id == "mine"


@pytest.mark.django_db
def test_update_without_rotation_policy_removes_rotation_info(realm):
    """The clean-up rule (docs/keycloak.md §3.3): no executor raised the flag."""
    client = ClientFactory(realm=realm, secret="current")
    secret_store.secret_set_expiration(client, T0 + 3600)
    secret_store.secret_store_rotated(client, "old", now=T0, expiration_time=T0 + 600)
    services.client_update(client=client, representation={"description": "x"}, actor=ACTOR)
    current, rotated = secret_store.secret_rows(client)
    assert rotated is None and current.expiration_time is None
    assert secret_store.secret_value(current) == "current"  # the secret itself stays


@pytest.mark.django_db
def test_update_with_rotation_policy_keeps_rotation_info_and_writes_attributes(realm):
    rotation_policy(realm)
    with time_machine.travel(T0, tick=False):
        client = services.client_create(realm=realm, representation={"clientId": "rotating"}, actor=ACTOR)
        assert secret_store.secret_rows(client)[0].expiration_time == T0 + 3600  # first sight: expiry only
    with time_machine.travel(T0 + 10, tick=False):
        rep = {"attributes": {"client.secret.expiration.time": str(T0 + 99), "client.secret.creation.time": str(T0 - 5)}}
        services.client_update(client=client, representation=rep, actor=ACTOR)
    current, _ = secret_store.secret_rows(client)
    assert (current.created_time, current.expiration_time) == (T0 - 5, T0 + 99)


@pytest.mark.django_db
def test_update_attribute_null_removes_rotated_secret(realm):
    rotation_policy(realm)
    with time_machine.travel(T0, tick=False):
        client = services.client_create(realm=realm, representation={"clientId": "rotating"}, actor=ACTOR)
        services.client_secret_regenerate(client=client, actor=ACTOR)
    assert secret_store.secret_rows(client)[1] is not None
    with time_machine.travel(T0 + 10, tick=False):
        services.client_update(client=client, representation={"attributes": {"client.secret.rotated": None}}, actor=ACTOR)
    assert secret_store.secret_rows(client)[1] is None


# --- secrets ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_regenerate_without_policy_replaces_the_secret_and_records_an_action(realm):
    client = ClientFactory(realm=realm, secret="old-secret")
    secret_store.secret_store_rotated(client, "older", now=T0, expiration_time=T0 + 600)
    new = services.client_secret_regenerate(client=client, actor=ACTOR)
    assert new != "old-secret" and selectors.client_secret_value(client=client, actor=None) == new
    assert secret_store.secret_rows(client)[1] is None  # clean-up: no rotation without a policy
    [event] = events(realm, operation_type="ACTION")
    assert event.resource_path == f"clients/{client.pk}/client-secret"
    assert new not in event.representation and json.loads(event.representation) == {"type": "secret", "value": MASK}


@pytest.mark.django_db
def test_regenerate_with_rotation_policy_keeps_the_old_secret_as_rotated(realm):
    rotation_policy(realm, expiration=3600, rotated=600)
    client = ClientFactory(realm=realm, secret="first")
    with time_machine.travel(T0, tick=False):
        new = services.client_secret_regenerate(client=client, actor=ACTOR)
    current, rotated = secret_store.secret_rows(client)
    assert secret_store.secret_value(current) == new and current.expiration_time == T0 + 3600
    assert secret_store.secret_value(rotated) == "first" and rotated.expiration_time == T0 + 600
    event = events(realm, operation_type="ACTION")[-1]
    assert "first" not in event.representation and new not in event.representation


@pytest.mark.django_db
def test_regenerate_uses_longer_secrets_for_hs512_client_secret_jwt(realm):
    client = ClientFactory(
        realm=realm, client_authenticator_type="client-secret-jwt", attributes={"token.endpoint.auth.signing.alg": "HS512"}
    )
    assert len(services.client_secret_regenerate(client=client, actor=ACTOR)) == 64


@pytest.mark.django_db
def test_invalidate_rotated_secret_is_idempotent(realm):
    client = ClientFactory(realm=realm)
    secret_store.secret_store_rotated(client, "old", now=T0, expiration_time=T0 + 600)
    assert services.client_rotated_secret_invalidate(client=client, actor=ACTOR) is True
    assert services.client_rotated_secret_invalidate(client=client, actor=ACTOR) is False
    assert selectors.client_rotated_secret_value(client=client, actor=None) is None
    [event] = events(realm, operation_type="DELETE")
    assert event.resource_path == f"clients/{client.pk}/client-secret/rotated" and "old" not in event.representation


@pytest.mark.django_db
def test_database_allows_one_current_and_one_rotated_secret_only(realm):
    client = ClientFactory(realm=realm)
    with pytest.raises(IntegrityError), transaction.atomic():
        ClientSecret.objects.create(client=client, kind=ClientSecret.CURRENT, value_encrypted=crypto.encrypt("x"), created_time=T0)
    ClientSecret.objects.create(client=client, kind=ClientSecret.ROTATED, value_encrypted=crypto.encrypt("y"), created_time=T0)
    with pytest.raises(IntegrityError), transaction.atomic():
        ClientSecret.objects.create(client=client, kind=ClientSecret.ROTATED, value_encrypted=crypto.encrypt("z"), created_time=T0)
    with pytest.raises(IntegrityError), transaction.atomic():
        ClientSecret.objects.create(client=client, kind="older", value_encrypted=crypto.encrypt("z"), created_time=T0)


@pytest.mark.django_db
def test_rotated_secret_is_encrypted_at_rest(realm):
    client = ClientFactory(realm=realm)
    secret_store.secret_store_rotated(client, "rotated-plaintext-value", now=T0, expiration_time=T0 + 60)
    raw = raw_secret_column(client, "rotated")
    assert "rotated-plaintext-value" not in raw and crypto.decrypt(raw) == "rotated-plaintext-value"


@pytest.mark.django_db
def test_reencrypt_secrets_moves_every_row_to_the_first_key(realm, settings):
    from cryptography.fernet import Fernet

    old_key, new_key = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.SECRET_ENCRYPTION_KEYS = [old_key]
    client = ClientFactory(realm=realm, secret="keep-me")
    secret_store.secret_store_rotated(client, "and-me", now=T0, expiration_time=T0 + 60)
    settings.SECRET_ENCRYPTION_KEYS = [new_key, old_key]
    call_command("reencrypt_secrets", stdout=io.StringIO())
    settings.SECRET_ENCRYPTION_KEYS = [new_key]  # the old key is gone: everything still decrypts
    assert selectors.client_secret_value(client=client, actor=None) == "keep-me"
    assert selectors.client_rotated_secret_value(client=client, actor=None) == "and-me"


# --- delete, roles, registration token -------------------------------------------------------


@pytest.mark.django_db
def test_delete_removes_client_secrets_and_roles(realm):
    client = ClientFactory(realm=realm)
    ClientRoleFactory(client=client)
    services.client_delete(client=client, actor=ACTOR)
    assert not Client.objects.exists() and not ClientSecret.objects.exists() and not ClientRole.objects.exists()
    [event] = events(realm, operation_type="DELETE")
    assert event.resource_path == f"clients/{client.pk}"


@pytest.mark.django_db
def test_roles_create_refuse_duplicates_and_delete(realm):
    client = ClientFactory(realm=realm)
    role = services.client_role_create(client=client, name=" admin ", description="Admins", actor=ACTOR)
    assert role.name == "admin"
    with pytest.raises(services.ClientRoleExists, match="Role with name admin already exists"):
        services.client_role_create(client=client, name="admin", actor=ACTOR)
    with pytest.raises(RepresentationError):
        services.client_role_create(client=client, name="  ", actor=ACTOR)
    assert services.client_role_delete(role=role, actor=ACTOR) is True
    assert services.client_role_delete(role=role, actor=ACTOR) is False
    assert [e.operation_type for e in events(realm, resource_type="CLIENT_ROLE")] == ["CREATE", "DELETE"]


@pytest.mark.django_db
def test_registration_token_is_stored_as_a_digest_and_replaced(realm):
    client = ClientFactory(realm=realm)
    _, first = services.client_registration_token_regenerate(client=client, actor=ACTOR)
    client.refresh_from_db()
    assert client.registration_token_digest == hashlib.sha256(first.encode()).hexdigest()
    assert first not in client.registration_token_digest
    assert selectors.client_registration_token_valid(client=client, token=first)
    _, second = services.client_registration_token_regenerate(client=client, actor=ACTOR)
    client.refresh_from_db()
    assert not selectors.client_registration_token_valid(client=client, token=first)
    assert selectors.client_registration_token_valid(client=client, token=second)
    assert not selectors.client_registration_token_valid(client=client, token="")
    event = events(realm, operation_type="ACTION")[-1]
    assert second not in event.representation and event.resource_path.endswith("/registration-access-token")


# --- selectors -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_client_list_search_and_get(realm):
    ClientFactory(realm=realm, client_id="alpha-app")
    ClientFactory(realm=realm, client_id="beta")
    PublicClientFactory(realm=realm, client_id="Alpha-SPA")
    assert [c.client_id for c in selectors.client_list(realm=realm, search="alpha")] == ["Alpha-SPA", "alpha-app"]
    assert [c.client_id for c in selectors.client_list(realm=realm, search="beta", exact=True)] == ["beta"]
    client = selectors.client_get_by_client_id(realm=realm, client_id="beta")
    assert selectors.client_get(realm=realm, id=str(client.pk)) == client
    with pytest.raises(Client.DoesNotExist):
        selectors.client_get(realm=realm, id="not-a-uuid")


@pytest.mark.django_db
def test_representations_of_many_clients_use_a_fixed_number_of_queries(realm, django_assert_num_queries):
    for _ in range(5):
        ClientFactory(realm=realm)
    with django_assert_num_queries(2):
        reps = [client_representation(c, include_secret=False) for c in selectors.client_list(realm=realm, with_secrets=True)]
    assert len(reps) == 5 and all(rep["secret"] == MASK for rep in reps)

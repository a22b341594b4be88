"""Realm signing keys: made with the realm, encrypted at rest, published in the JWKS, rotated."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.serialization import load_der_public_key
from joserfc import jwt
from joserfc.jwk import KeySet

from clients import crypto
from oidc import keys, tokens
from oidc.models import RealmKey
from oidc.services import realm_key_rotate
from tests.oidc.conftest import SECRET, at

pytestmark = pytest.mark.django_db
CERTS = "/realms/acme/protocol/openid-connect/certs"


def jwks(client) -> dict:
    response = client.get(CERTS)
    assert response.status_code == 200
    return json.loads(response.content)


def client_credentials(client) -> str:
    response = client.post("/realms/acme/protocol/openid-connect/token",
                           {"grant_type": "client_credentials", "client_id": "svc", "client_secret": SECRET})
    assert response.status_code == 200, response.content
    return json.loads(response.content)["access_token"]


class TestRealmKey:
    def test_a_new_realm_gets_one_active_rs256_key(self, realm):
        (key,) = RealmKey.objects.filter(realm=realm)
        assert key.active and key.algorithm == "RS256" and key.kid
        assert "PRIVATE KEY" not in key.private_key_encrypted  # encrypted at rest
        assert "PRIVATE KEY" in crypto.decrypt(key.private_key_encrypted)
        assert set(key.public_jwk) >= {"kty", "n", "e"} and "d" not in key.public_jwk

    def test_jwks_entry_is_a_complete_signing_jwk(self, client, realm):
        (entry,) = jwks(client)["keys"]
        assert entry["kty"] == "RSA" and entry["alg"] == "RS256" and entry["use"] == "sig"
        assert entry["kid"] == RealmKey.objects.get(realm=realm).kid
        assert {"n", "e"} <= set(entry)
        assert "d" not in entry and "p" not in entry

    def test_realm_info_public_key_is_base64_der_spki(self, client, realm):
        data = json.loads(client.get("/realms/acme").content)
        assert data["realm"] == "acme"
        assert data["token-service"] == "http://testserver/realms/acme/protocol/openid-connect"
        public = load_der_public_key(base64.b64decode(data["public_key"]))
        assert public.key_size == 2048

    def test_unknown_realm(self, client, db):
        assert client.get("/realms/nowhere").status_code == 404
        assert client.get("/realms/nowhere/protocol/openid-connect/certs").status_code == 404


class TestTokensVerifyAgainstTheJwks:
    def test_access_token_verifies_with_the_published_keys(self, client, svc):
        token = client_credentials(client)
        claims = jwt.decode(token, KeySet.import_key_set(jwks(client)), algorithms=["RS256"]).claims
        assert claims["azp"] == "svc"
        assert tokens.access_token_verify(token)["azp"] == "svc"
        assert tokens.access_token_verify(token, realm="acme")["azp"] == "svc"

    def test_verify_refuses_a_token_of_another_realm_when_one_is_named(self, client, svc, master):
        token = client_credentials(client)
        with pytest.raises(tokens.TokenError):
            tokens.access_token_verify(token, realm="master")

    def test_verify_refuses_tampered_expired_and_foreign_tokens(self, client, svc):
        with at(0):
            token = client_credentials(client)
        header, payload, signature = token.split(".")
        forged = json.loads(base64.urlsafe_b64decode(payload + "=="))
        forged["azp"] = "admin"
        forged_payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
        with at(1):
            with pytest.raises(tokens.TokenError):
                tokens.access_token_verify(f"{header}.{forged_payload}.{signature}")
            with pytest.raises(tokens.TokenError):
                tokens.access_token_verify("not-a-token")
        with at(301), pytest.raises(tokens.TokenError, match="Token is not active"):
            tokens.access_token_verify(token)
        # Signed by a key this server never published.
        other, kid = keys.key_generate()
        alien = jwt.encode({"alg": "RS256", "kid": kid}, {"iss": "http://testserver/realms/acme", "exp": 2**40, "typ": "Bearer"}, other)
        with pytest.raises(tokens.TokenError):
            tokens.access_token_verify(alien)

    def test_refresh_token_is_not_an_access_token(self, realm):
        refresh, _ = tokens.refresh_token_issue(realm=realm, issuer="http://x/realms/acme", client_id="c", subject="1", session_id="s", scope="")
        with pytest.raises(tokens.TokenError):
            tokens.access_token_verify(refresh)


class TestRotation:
    def test_old_key_stays_published_until_its_tokens_expired(self, client, svc, realm):
        with at(0):
            old_token = client_credentials(client)
            old_kid = jwt.decode(old_token, KeySet.import_key_set(jwks(client))).header["kid"]
            new = realm_key_rotate(realm=realm)
            assert new.kid != old_kid
            new_token = client_credentials(client)
            assert jwt.decode(new_token, KeySet.import_key_set(jwks(client))).header["kid"] == new.kid
            assert {k["kid"] for k in jwks(client)["keys"]} == {old_kid, new.kid}
            # Tokens signed before the rotation still verify.
            assert tokens.access_token_verify(old_token)["azp"] == "svc"
        window = realm.access_token_lifespan + keys.PUBLISH_MARGIN
        with at(window):
            assert {k["kid"] for k in jwks(client)["keys"]} == {old_kid, new.kid}
        with at(window + 1):
            assert [k["kid"] for k in jwks(client)["keys"]] == [new.kid]
        # Realm info publishes the active key.
        public_key = json.loads(client.get("/realms/acme").content)["public_key"]
        assert public_key == keys.public_key_base64(new)

    def test_rotation_is_recorded_as_an_admin_event(self, realm):
        from realms.models import AdminEvent

        key = realm_key_rotate(realm=realm)
        event = AdminEvent.objects.get(realm=realm, resource_type="COMPONENT")
        assert event.operation_type == "CREATE" and key.kid in event.resource_path
        assert "PRIVATE" not in event.representation

    def test_one_active_key_per_realm_is_a_database_rule(self, realm):
        from django.db import IntegrityError, transaction

        with pytest.raises(IntegrityError), transaction.atomic():
            keys.realm_key_store(realm=realm)


class TestKeyCache:
    def test_private_key_is_decrypted_once_per_process(self, client, svc, realm, monkeypatch):
        keys._private.clear()
        keys._active.clear()
        calls = []
        real = crypto.decrypt

        def counting(token):
            calls.append(token)
            return real(token)

        monkeypatch.setattr(keys.crypto, "decrypt", counting)
        for _ in range(5):
            client_credentials(client)
        key_row = RealmKey.objects.get(realm=realm, active=True)
        assert calls.count(key_row.private_key_encrypted) == 1


    def test_a_reused_realm_pk_never_signs_with_the_deleted_realms_key(self, db):
        """Another worker's cached kid for a deleted realm must not survive a new realm on its pk."""
        from realms import services as realm_services
        from realms.models import Realm

        old = realm_services.realm_create(name="old-realm")
        stale_kid = keys.signing_key(old).kid
        old_pk = old.pk
        stale_entry = keys._active[old_pk]
        realm_services.realm_delete(realm=old)
        new = Realm.objects.create(pk=old_pk, name="new-realm")
        keys.realm_key_store(realm=new)
        keys._active[old_pk] = stale_entry  # as a worker that never saw the delete would hold it
        assert keys.signing_key(new).kid == RealmKey.objects.get(realm=new, active=True).kid != stale_kid


class TestReencryptCommand:
    def test_realm_keys_move_to_the_new_encryption_key(self, realm, settings):
        from cryptography.fernet import Fernet
        from django.core.management import call_command

        from oidc import keys as key_module

        old_cipher = RealmKey.objects.get(realm=realm).private_key_encrypted
        new_key = Fernet.generate_key().decode()
        settings.SECRET_ENCRYPTION_KEYS = [new_key, *settings.SECRET_ENCRYPTION_KEYS]
        call_command("reencrypt_realm_keys", stdout=__import__("io").StringIO())
        settings.SECRET_ENCRYPTION_KEYS = [new_key]
        row = RealmKey.objects.get(realm=realm)
        assert row.private_key_encrypted != old_cipher
        key_module._private.clear()
        key_module._active.clear()
        assert key_module.signing_key(realm).kid == row.kid

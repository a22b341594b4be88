"""Console pages: Realm settings → Keys and Tokens; Clients → Initial access token."""

from __future__ import annotations

import pytest

from oidc.models import InitialAccessToken, RealmKey
from oidc.services import initial_access_token_find
from realms.models import AdminEvent, Realm
from tests.permissions import TO_LOGIN, assert_answers, get, post

pytestmark = pytest.mark.django_db
KEYS = "/console/acme/realm-settings/keys"
ROTATE = "/console/acme/realm-settings/keys/rotate"
TOKENS = "/console/acme/realm-settings/tokens"
IATS = "/console/acme/clients/initial-access-tokens"


@pytest.fixture
def realm_admin_client(console_client):
    """manage-realm and manage-clients, not a superuser."""
    return console_client(["manage-realm", "manage-clients"], username="realm-admin")


class TestKeysTab:
    def test_anonymous_is_sent_to_login(self, permission_matrix, realm):
        permission_matrix([get(KEYS), post(ROTATE)], anonymous=[TO_LOGIN, 302])
        assert RealmKey.objects.filter(realm=realm).count() == 1

    def test_viewer_sees_keys_but_cannot_rotate(self, viewer_client, realm):
        response = viewer_client.get(KEYS)
        assert response.status_code == 200
        html = response.content.decode()
        kid = RealmKey.objects.get(realm=realm).kid
        for label in ("Algorithm", "Kid", "Public key", "RS256", kid, "Active"):
            assert label in html
        assert "Rotate key" not in html
        assert viewer_client.post(ROTATE).status_code == 403
        assert RealmKey.objects.filter(realm=realm).count() == 1

    def test_settings_tabs_list_keys_and_tokens(self, viewer_client, realm):
        html = viewer_client.get("/console/acme/realm-settings/").content.decode()
        assert f'href="{KEYS}"' in html and f'href="{TOKENS}"' in html

    def test_manager_rotates_with_a_plain_post(self, admin_client, realm):
        old = RealmKey.objects.get(realm=realm)
        response = admin_client.post(ROTATE)
        assert response.status_code == 302 and response["Location"] == KEYS
        new = RealmKey.objects.get(realm=realm, active=True)
        assert new.kid != old.kid
        html = admin_client.get(KEYS).content.decode()
        assert "Rotate key" in html and "Retired" in html and old.kid in html

    def test_htmx_rotation_answers_the_table_fragment(self, admin_client, realm):
        response = admin_client.post(ROTATE, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        html = response.content.decode()
        assert html.lstrip().startswith('<div id="keys-table">')
        assert "<html" not in html
        assert "Key rotated" in html  # the alert rides along out of band

    def test_get_on_rotate_changes_nothing(self, admin_client, realm):
        assert admin_client.get(ROTATE).status_code == 405
        assert RealmKey.objects.filter(realm=realm).count() == 1


class TestTokensTab:
    def test_shows_the_lifespan(self, viewer_client, realm):
        response = viewer_client.get(TOKENS)
        assert response.status_code == 200
        html = response.content.decode()
        assert "Access Token Lifespan" in html and 'value="300"' in html
        assert ">Save<" not in html

    def test_viewer_cannot_save(self, viewer_client, realm):
        assert viewer_client.post(TOKENS, {"access_token_lifespan": 10}).status_code == 403
        assert Realm.objects.get(pk=realm.pk).access_token_lifespan == 300

    def test_manager_saves_and_an_event_is_recorded(self, realm_admin_client, realm):
        response = realm_admin_client.post(TOKENS, {"access_token_lifespan": 120})
        assert response.status_code == 302
        assert Realm.objects.get(pk=realm.pk).access_token_lifespan == 120
        event = AdminEvent.objects.get(realm=realm, resource_type="REALM")
        assert event.operation_type == "UPDATE" and event.auth_username == "realm-admin"

    @pytest.mark.parametrize("value", ["0", "-5", "abc", "", "999999999999"])
    def test_bad_values_are_form_errors(self, realm_admin_client, realm, value):
        response = realm_admin_client.post(TOKENS, {"access_token_lifespan": value})
        assert response.status_code == 400
        assert "invalid-feedback" in response.content.decode()
        assert Realm.objects.get(pk=realm.pk).access_token_lifespan == 300

    def test_htmx_save_answers_the_form_fragment(self, realm_admin_client, realm):
        response = realm_admin_client.post(TOKENS, {"access_token_lifespan": 90}, HTTP_HX_REQUEST="true")
        assert response.status_code == 200
        assert response.content.decode().lstrip().startswith('<form id="tokens-form"')


class TestInitialAccessTokens:
    def test_viewer_sees_the_list_without_create(self, viewer_client, realm):
        response = viewer_client.get(IATS)
        assert response.status_code == 200
        html = response.content.decode()
        assert "Initial access token" in html and "Clients list" in html
        assert ">Create<" not in html
        assert_answers(viewer_client, [post(f"{IATS}/create", {"expiration": 60, "count": 1}), get(f"{IATS}/create")], 403)

    def test_create_shows_the_token_once(self, realm_admin_client, realm):
        response = realm_admin_client.post(f"{IATS}/create", {"expiration": 3600, "count": 3})
        assert response.status_code == 201
        html = response.content.decode()
        marker = 'id="initial-access-token" class="form-control font-monospace" type="text" readonly autocomplete="off" spellcheck="false" value="'
        token = html[html.index(marker) + len(marker):].split('"', 1)[0]
        row = initial_access_token_find(realm=realm, token=token)
        assert (row.count, row.remaining_count, row.expiration) == (3, 3, 3600)
        assert token not in row.digest
        # Not shown again.
        assert token not in realm_admin_client.get(IATS).content.decode()
        event = AdminEvent.objects.get(realm=realm, resource_type="CLIENT_INITIAL_ACCESS_MODEL")
        assert token not in event.representation

    def test_bad_input(self, realm_admin_client, realm):
        response = realm_admin_client.post(f"{IATS}/create", {"expiration": -1, "count": 0})
        assert response.status_code == 400
        assert not InitialAccessToken.objects.exists()

    def test_delete(self, realm_admin_client, realm):
        realm_admin_client.post(f"{IATS}/create", {"expiration": 0, "count": 1})
        row = InitialAccessToken.objects.get()
        response = realm_admin_client.post(f"{IATS}/{row.pk}/delete")
        assert response.status_code == 302
        assert not InitialAccessToken.objects.exists()
        assert realm_admin_client.post(f"{IATS}/{row.pk}/delete").status_code == 404

    def test_list_query_count_does_not_grow(self, realm_admin_client, realm):
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from oidc.services import initial_access_token_create
        from realms.actor import Actor

        def count() -> int:
            with CaptureQueriesContext(connection) as ctx:
                assert realm_admin_client.get(IATS).status_code == 200
            return len(ctx.captured_queries)

        initial_access_token_create(realm=realm, expiration=0, count=1, actor=Actor())
        one = count()
        for _ in range(5):
            initial_access_token_create(realm=realm, expiration=0, count=1, actor=Actor())
        assert count() == one

    def test_clients_page_links_to_the_initial_access_token_tab(self, viewer_client, realm):
        html = viewer_client.get("/console/acme/clients/").content.decode()
        assert f'href="{IATS}"' in html and "Initial access token" in html

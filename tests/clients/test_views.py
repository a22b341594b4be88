"""Console pages for clients: permission matrix, htmx fragments, plain posts, bad input."""

from __future__ import annotations

import pytest
import time_machine
from django.urls import reverse
from django.utils.html import strip_tags

from clients import secrets as secret_store
from clients import selectors
from clients.models import Client, ClientRole, ClientSecret
from realms.models import AdminEvent
from tests.factories import ClientFactory, ClientRoleFactory, PublicClientFactory, confidential_only_policy
from tests.permissions import TO_LOGIN, get, post

T0 = 1_780_000_000  # Thursday, 28 May 2026 20:26:40 UTC
HTMX = {"HTTP_HX_REQUEST": "true"}


def url(name, realm, client=None, **kwargs):
    if client is not None:
        kwargs["id"] = client.pk
    return reverse(name, kwargs={"realm": realm.name, **kwargs})


@pytest.fixture
def confidential(realm):
    return ClientFactory(realm=realm, client_id="my-app", secret="Sup3rSecretValue0123456789abcdef")


@pytest.fixture
def clients_manager_client(console_client):
    """manage-clients with the view roles, not a superuser."""
    return console_client(["view-realm", "view-clients", "manage-clients"], username="manager")


# --- permission matrix -----------------------------------------------------------------------


def read_urls(realm, c):
    return [
        url("client-list", realm),
        url("client-settings", realm, c),
        url("client-credentials", realm, c),
        url("client-roles", realm, c),
    ]


def write_posts(realm, c):
    return [
        (url("client-create", realm), {"protocol": "openid-connect", "client_id": "new"}),
        (url("client-settings", realm, c), {"client_id": "renamed"}),
        (url("client-authenticator-save", realm, c), {"client_authenticator_type": "client-jwt"}),
        (url("client-secret-regenerate", realm, c), {}),
        (url("client-rotated-secret-invalidate", realm, c), {}),
        (url("client-registration-token-regenerate", realm, c), {}),
        (url("client-role-create", realm, c), {"name": "r"}),
        (url("client-role-delete", realm, c), {"name": "existing"}),
        (url("client-delete", realm, c), {}),
        (url("client-enabled", realm, c), {"enabled": "false"}),
    ]


@pytest.mark.django_db
def test_anonymous_visitors_are_sent_to_login(permission_matrix, realm, confidential):
    writes = write_posts(realm, confidential)
    permission_matrix([get(u) for u in read_urls(realm, confidential) + [u for u, _ in writes]], anonymous=TO_LOGIN)
    permission_matrix([post(u, data) for u, data in writes], anonymous=302)
    assert Client.objects.get(pk=confidential.pk).client_id == "my-app"


@pytest.mark.django_db
def test_user_without_client_roles_gets_403(permission_matrix, realm, confidential):
    permission_matrix([get(u) for u in read_urls(realm, confidential)], outsider=403, outsider_roles=["view-realm"])


@pytest.mark.django_db
def test_view_only_admin_reads_everything_but_changes_nothing(permission_matrix, realm, confidential):
    ClientRoleFactory(client=confidential, name="existing")
    before = selectors.client_secret_value(client=confidential, actor=None)
    forms = [get(url("client-create", realm)), get(url("client-role-create", realm, confidential))]
    writes = [call for u, data in write_posts(realm, confidential) for call in (post(u, data), post(u, data, **HTMX))]
    permission_matrix([get(u) for u in read_urls(realm, confidential)], viewer=200)
    permission_matrix(forms + writes, viewer=403)
    confidential.refresh_from_db()
    assert confidential.client_id == "my-app" and confidential.client_authenticator_type == "client-secret"
    assert selectors.client_secret_value(client=confidential, actor=None) == before
    assert ClientRole.objects.filter(client=confidential).count() == 1
    assert not AdminEvent.objects.filter(realm=realm).exists()


@pytest.mark.django_db
def test_view_only_credentials_show_no_secret_and_no_buttons(viewer_client, realm, confidential):
    secret_store.secret_store_rotated(confidential, "RotatedValue0123456789", now=T0, expiration_time=T0 + 60)
    body = viewer_client.get(url("client-credentials", realm, confidential)).content.decode()
    assert "Sup3rSecretValue0123456789abcdef" not in body and "RotatedValue0123456789" not in body
    assert "Client Secret" in body and "Secret rotated" in body
    for button in (">Re-generate<", ">Invalidate<", ">Save<", "Copy to clipboard", ">Action<", "Create client"):
        assert button not in body, button


@pytest.mark.django_db
def test_manager_sees_the_secret_with_its_controls(admin_client, realm, confidential):
    response = admin_client.get(url("client-credentials", realm, confidential))
    body = response.content.decode()
    assert 'value="Sup3rSecretValue0123456789abcdef"' in body and 'type="password"' in body
    assert body.count(">Re-generate<") == 2  # client secret and registration access token
    assert 'data-confirm-title="Regenerate secret for this client?"' in body
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_manage_clients_role_without_superuser_can_regenerate(clients_manager_client, realm, confidential):
    response = clients_manager_client.post(url("client-secret-regenerate", realm, confidential))
    assert response.status_code == 302
    assert selectors.client_secret_value(client=confidential, actor=None) != "Sup3rSecretValue0123456789abcdef"


# --- clients list ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_empty_list_shows_the_empty_state(admin_client, realm):
    body = admin_client.get(url("client-list", realm)).content.decode()
    assert "No clients" in body and "Create client" in body and "<table" not in body


@pytest.mark.django_db
def test_list_columns_search_and_pagination(admin_client, realm):
    ClientFactory(realm=realm, client_id="web-shop", name="Web Shop", description="The shop")
    PublicClientFactory(realm=realm, client_id="spa", enabled=False)
    for i in range(12):
        ClientFactory(realm=realm, client_id=f"svc-{i:02d}")
    body = admin_client.get(url("client-list", realm)).content.decode()
    for header in ("Client ID", "Name", "Type", "Description"):
        assert f'<th scope="col">{header}</th>' in body
    assert "OpenID Connect" in body and "Search for client" in body and "Refresh" in body
    assert "svc-00" in body and "web-shop" not in body  # first page of 10, ordered by Client ID
    assert "Disabled</span>" in body and "1 - 10 of 14" in body
    page2 = admin_client.get(url("client-list", realm) + "?page=2").content.decode()
    assert "web-shop" in page2 and "The shop" in page2 and "11 - 14 of 14" in page2
    found = admin_client.get(url("client-list", realm) + "?search=SHOP").content.decode()
    assert "web-shop" in found and "svc-00" not in found
    none = admin_client.get(url("client-list", realm) + "?search=nothing-here").content.decode()
    assert "No search results" in none and "Clear all filters" in none


@pytest.mark.django_db
def test_list_search_htmx_returns_the_table_fragment(admin_client, realm):
    ClientFactory(realm=realm, client_id="web-shop")
    response = admin_client.get(url("client-list", realm) + "?search=web", **HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="client-table">') and "web-shop" in body
    assert "<html" not in body


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_rows(admin_client, realm, django_assert_max_num_queries):
    ClientFactory(realm=realm)
    with django_assert_max_num_queries(12) as few:
        admin_client.get(url("client-list", realm))
    for _ in range(9):
        ClientFactory(realm=realm)
    with django_assert_max_num_queries(len(few.captured_queries)):
        admin_client.get(url("client-list", realm))


# --- create ----------------------------------------------------------------------------------


def create_data(**extra):
    return {
        "protocol": "openid-connect",
        "client_id": "  billing  ",
        "name": "Billing",
        "description": "Invoices",
        "client_authentication": "on",
        "standard_flow": "on",
        "direct_access_grants": "on",
        "redirect_uris": "https://billing.example.com/*\n\nhttps://billing.example.com/cb",
        "web_origins": "+",
        **extra,
    }


@pytest.mark.django_db
def test_create_page_has_the_three_sections(admin_client, realm):
    body = admin_client.get(url("client-create", realm)).content.decode()
    for text in ("General settings", "Capability config", "Login settings", "Client type", "OpenID Connect", "Client ID",
                 "Client authentication", "Standard flow", "Direct access grants", "Service account roles", "Save"):
        assert text in body, text
    assert 'role="switch"' in body


@pytest.mark.django_db
def test_create_confidential_client_plain_post(admin_client, realm):
    response = admin_client.post(url("client-create", realm), create_data())
    client = Client.objects.get(realm=realm, client_id="billing")  # trimmed
    assert response.status_code == 302 and response["Location"] == url("client-settings", realm, client)
    assert not client.public_client and client.redirect_uris == ["https://billing.example.com/*", "https://billing.example.com/cb"]
    assert client.web_origins == ["+"] and len(selectors.client_secret_value(client=client, actor=None)) == 32
    page = admin_client.get(response["Location"]).content.decode()
    assert "Client created successfully" in page and ">Credentials<" in page


@pytest.mark.django_db
def test_create_public_client_has_no_credentials_tab(admin_client, realm):
    data = create_data(service_accounts="on")
    del data["client_authentication"]
    admin_client.post(url("client-create", realm), data)
    client = Client.objects.get(realm=realm, client_id="billing")
    assert client.public_client and not client.service_accounts_enabled
    assert not ClientSecret.objects.filter(client=client).exists()
    assert ">Credentials<" not in admin_client.get(url("client-settings", realm, client)).content.decode()
    assert admin_client.get(url("client-credentials", realm, client)).status_code == 404


@pytest.mark.django_db
def test_create_htmx_redirects_with_hx_redirect(admin_client, realm):
    response = admin_client.post(url("client-create", realm), create_data(), **HTMX)
    client = Client.objects.get(realm=realm, client_id="billing")
    assert response.status_code == 204 and response["HX-Redirect"] == url("client-settings", realm, client)


@pytest.mark.django_db
def test_create_duplicate_client_id_shows_the_error(admin_client, realm):
    ClientFactory(realm=realm, client_id="billing")
    response = admin_client.post(url("client-create", realm), create_data())
    body = response.content.decode()
    assert response.status_code == 400
    assert "Could not create client: &#x27;Client billing already exists&#x27;" in body
    assert Client.objects.filter(realm=realm, client_id="billing").count() == 1
    fragment = admin_client.post(url("client-create", realm), create_data(), **HTMX)
    assert fragment.status_code == 200 and fragment.content.decode().lstrip().startswith('<form id="create-form"')


@pytest.mark.django_db
@pytest.mark.parametrize(
    "extra, message",
    [
        ({"client_id": ""}, "This field is required."),
        ({"client_id": "x" * 300}, "Ensure this value has at most 255 characters"),
        ({"redirect_uris": "javascript:alert(1)"}, "A redirect URI is not a valid URI"),
        ({"root_url": "ftp://files"}, "Invalid URL in rootUrl"),
        ({"web_origins": "not an origin"}, "A web origin is not a valid origin"),
        ({"protocol": "saml"}, "Select a valid choice"),
        ({"redirect_uris": "\n".join(f"https://a.example/{i}" for i in range(101))}, "too many entries"),
    ],
)
def test_create_bad_input_is_a_form_error_not_a_500(admin_client, realm, extra, message):
    response = admin_client.post(url("client-create", realm), create_data(**extra))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Client.objects.filter(realm=realm).exists()


# --- settings --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_settings_htmx_save_returns_the_form_fragment(admin_client, realm, confidential):
    data = {"client_id": "my-app", "name": "Renamed", "enabled": "on", "client_authentication": "on", "standard_flow": "on"}
    response = admin_client.post(url("client-settings", realm, confidential), data, **HTMX)
    body = response.content.decode()
    assert response.status_code == 200 and body.lstrip().startswith('<form id="settings-form"')
    assert "Client successfully updated" in body and 'hx-swap-oob="true"' in body
    confidential.refresh_from_db()
    assert confidential.name == "Renamed" and confidential.enabled


@pytest.mark.django_db
def test_settings_switching_client_authentication_off_reloads_and_clears_the_secret(admin_client, realm, confidential):
    data = {"client_id": "my-app", "enabled": "on", "standard_flow": "on"}
    response = admin_client.post(url("client-settings", realm, confidential), data, **HTMX)
    assert response["HX-Redirect"] == url("client-settings", realm, confidential)
    confidential.refresh_from_db()
    assert confidential.public_client and not ClientSecret.objects.filter(client=confidential).exists()


@pytest.mark.django_db
def test_settings_errors_keep_the_client_unchanged(admin_client, realm, confidential):
    ClientFactory(realm=realm, client_id="other")
    base = {"enabled": "on", "client_authentication": "on"}
    taken = admin_client.post(url("client-settings", realm, confidential), {**base, "client_id": "other"})
    assert taken.status_code == 400 and "Client could not be updated: Client already exists" in taken.content.decode()
    bad = admin_client.post(url("client-settings", realm, confidential), {**base, "client_id": "my-app", "root_url": "nope"})
    assert bad.status_code == 400 and "Invalid URL in rootUrl" in bad.content.decode()
    confidential.refresh_from_db()
    assert confidential.client_id == "my-app" and confidential.root_url == ""


@pytest.mark.django_db
def test_unknown_or_malformed_client_is_404(admin_client, realm):
    assert admin_client.get(f"/console/{realm.name}/clients/00000000-0000-0000-0000-000000000000/settings").status_code == 404
    assert admin_client.get(f"/console/{realm.name}/clients/not-a-uuid/settings").status_code == 404


@pytest.mark.django_db
def test_client_of_another_realm_is_404(admin_client, realm, master):
    other = ClientFactory(realm=master)
    assert admin_client.get(url("client-settings", realm, other)).status_code == 404


@pytest.mark.django_db
def test_delete_client_plain_post(admin_client, realm, confidential):
    response = admin_client.post(url("client-delete", realm, confidential))
    assert response.status_code == 302 and response["Location"] == url("client-list", realm)
    assert not Client.objects.filter(pk=confidential.pk).exists()
    assert "The client has been deleted" in admin_client.get(response["Location"]).content.decode()
    assert admin_client.get(url("client-delete", realm, confidential)).status_code == 405


# --- credentials -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_regenerate_htmx_swaps_the_credentials_fragment(admin_client, realm, confidential):
    response = admin_client.post(url("client-secret-regenerate", realm, confidential), **HTMX)
    body = response.content.decode()
    new = selectors.client_secret_value(client=confidential, actor=None)
    assert response.status_code == 200 and body.lstrip().startswith('<div id="credentials">')
    assert new != "Sup3rSecretValue0123456789abcdef" and f'value="{new}"' in body
    assert "Client secret regenerated" in body
    assert AdminEvent.objects.filter(realm=realm, operation_type="ACTION").count() == 1


@pytest.mark.django_db
def test_regenerate_plain_post_redirects_to_the_tab(admin_client, realm, confidential):
    response = admin_client.post(url("client-secret-regenerate", realm, confidential))
    assert response.status_code == 302 and response["Location"] == url("client-credentials", realm, confidential)
    assert "Client secret regenerated" in admin_client.get(response["Location"]).content.decode()


@pytest.mark.django_db
def test_expiry_lines_and_expired_warning(admin_client, realm, confidential):
    secret_store.secret_set_expiration(confidential, T0)
    secret_store.secret_store_rotated(confidential, "old", now=T0 - 100, expiration_time=T0 + 3600)
    with time_machine.travel(T0 - 10, tick=False):
        body = admin_client.get(url("client-credentials", realm, confidential)).content.decode()
    # Issue 14: the console's one date format, with the distance from now next to it.
    assert "Secret expires on 28 May 2026, 20:26 UTC (in less than a minute)" in strip_tags(body)
    assert "Secret expires on 28 May 2026, 21:26 UTC (in 1 hour)" in strip_tags(body)  # the rotated one
    assert "Secret has expired" not in body
    with time_machine.travel(T0 + 1, tick=False):
        body = admin_client.get(url("client-credentials", realm, confidential)).content.decode()
    assert 'Secret has expired, please generate a new one by clicking the "Re-generate" button above' in body.replace("&quot;", '"')


@pytest.mark.django_db
def test_last_used_line_appears_when_recorded(admin_client, realm, confidential):
    body = admin_client.get(url("client-credentials", realm, confidential)).content.decode()
    assert "Last used" not in body
    ClientSecret.objects.filter(client=confidential, kind="current").update(last_used_time=T0)
    body = admin_client.get(url("client-credentials", realm, confidential)).content.decode()
    assert "Last used 28 May 2026, 20:26 UTC (" in strip_tags(body)


@pytest.mark.django_db
def test_invalidate_rotated_secret_htmx_and_plain(admin_client, realm, confidential):
    secret_store.secret_store_rotated(confidential, "RotatedValue0123456789", now=T0, expiration_time=T0 + 600)
    body = admin_client.get(url("client-credentials", realm, confidential)).content.decode()
    assert "Secret rotated" in body and 'value="RotatedValue0123456789"' in body and ">Invalidate<" in body
    assert 'data-confirm-title="Invalidate rotated secret?"' in body and 'data-confirm-yes="Confirm"' in body
    response = admin_client.post(url("client-rotated-secret-invalidate", realm, confidential), **HTMX)
    fragment = response.content.decode()
    assert "Rotated secret successfully removed" in fragment and "Secret rotated" not in fragment
    assert selectors.client_rotated_secret_value(client=confidential, actor=None) is None
    again = admin_client.post(url("client-rotated-secret-invalidate", realm, confidential))
    assert again.status_code == 302


@pytest.mark.django_db
def test_client_authenticator_save(admin_client, realm, confidential):
    response = admin_client.post(url("client-authenticator-save", realm, confidential), {"client_authenticator_type": "client-jwt"}, **HTMX)
    body = response.content.decode()
    assert "Client successfully updated" in body and ">Client Secret<" not in body  # client-jwt uses no secret
    confidential.refresh_from_db()
    assert confidential.client_authenticator_type == "client-jwt"
    bad = admin_client.post(url("client-authenticator-save", realm, confidential), {"client_authenticator_type": "magic"})
    assert bad.status_code == 400 and "Select a valid choice" in bad.content.decode()


@pytest.mark.django_db
def test_registration_token_is_shown_once(admin_client, realm, confidential):
    response = admin_client.post(url("client-registration-token-regenerate", realm, confidential), **HTMX)
    body = response.content.decode()
    assert "Access token regenerated" in body
    token = body.split('id="registration-access-token"')[1].split('value="')[1].split('"')[0]
    confidential.refresh_from_db()
    assert token and selectors.client_registration_token_valid(client=confidential, token=token)
    later = admin_client.get(url("client-credentials", realm, confidential)).content.decode()
    assert token not in later
    plain = admin_client.post(url("client-registration-token-regenerate", realm, confidential))
    assert plain.status_code == 200 and "Registration access token" in plain.content.decode()


@pytest.mark.django_db
def test_bearer_only_client_has_credentials_but_no_capability_config(admin_client, realm):
    client = ClientFactory(realm=realm, bearer_only=True)
    settings_body = admin_client.get(url("client-settings", realm, client)).content.decode()
    assert "Capability config" not in settings_body and ">Credentials<" in settings_body
    assert admin_client.get(url("client-credentials", realm, client)).status_code == 200


# --- roles -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_roles_tab_create_and_delete(admin_client, realm, confidential):
    body = admin_client.get(url("client-roles", realm, confidential)).content.decode()
    assert "No roles for this client" in body and "Create role" in body
    response = admin_client.post(url("client-role-create", realm, confidential), {"name": "approver", "description": "Approves"})
    assert response.status_code == 302
    assert "approver" in admin_client.get(response["Location"]).content.decode()
    duplicate = admin_client.post(url("client-role-create", realm, confidential), {"name": "approver"})
    assert duplicate.status_code == 400 and "Role with name approver already exists" in duplicate.content.decode()
    deleted = admin_client.post(url("client-role-delete", realm, confidential), {"name": "approver"}, **HTMX)
    fragment = deleted.content.decode()
    assert fragment.lstrip().startswith('<div id="role-table">') and "The role has been deleted" in fragment
    assert not ClientRole.objects.filter(client=confidential).exists()
    missing = admin_client.post(url("client-role-delete", realm, confidential), {"name": "approver"})
    assert missing.status_code == 302


@pytest.mark.django_db
def test_policy_refusal_is_shown_as_keycloak_words_it(admin_client, realm):
    confidential_only_policy(realm)
    data = create_data()
    del data["client_authentication"]
    response = admin_client.post(url("client-create", realm), data)
    assert response.status_code == 400
    assert "Could not create client: &#x27;Invalid client metadata: invalid client access type&#x27;" in response.content.decode()
    assert not Client.objects.filter(realm=realm).exists()


# --- the header's Enabled switch (docs/console-wording.md §13) ---------------------------------------------


@pytest.mark.django_db
def test_header_enabled_switch_asks_before_disabling(admin_client, realm, confidential):
    body = admin_client.get(url("client-roles", realm, confidential)).content.decode()
    assert f'action="{url("client-enabled", realm, confidential)}"' in body
    assert 'data-confirm-title="Disable client?"' in body
    assert 'data-confirm-message="Are you sure you want to disable this client?"' in body
    assert 'data-confirm-yes="Disable"' in body
    assert "Disabled clients cannot initiate a login or have obtained access tokens." in body
    assert 'role="switch" aria-checked="true"' in body


@pytest.mark.django_db
def test_header_enabled_switch_plain_post_disables_and_enables(admin_client, realm, confidential):
    response = admin_client.post(url("client-enabled", realm, confidential), {"enabled": "false", "tab": "roles"})
    assert response.status_code == 302 and response["Location"] == url("client-roles", realm, confidential)
    confidential.refresh_from_db()
    assert not confidential.enabled
    event = AdminEvent.objects.filter(realm=realm, operation_type="UPDATE", resource_type="CLIENT").latest("pk")
    assert event is not None
    page = admin_client.get(response["Location"]).content.decode()
    assert "Client successfully updated" in page and 'aria-checked="false"' in page
    assert "Disable client?" not in page, "switching on does not ask"

    # The Settings tab's own Enabled switch agrees with the header.
    settings = admin_client.get(url("client-settings", realm, confidential)).content.decode()
    assert 'name="enabled" id="id_enabled" aria-describedby' in settings and 'id="id_enabled" checked' not in settings

    response = admin_client.post(url("client-enabled", realm, confidential), {"enabled": "true"})
    assert response["Location"] == url("client-settings", realm, confidential)
    confidential.refresh_from_db()
    assert confidential.enabled
    settings = admin_client.get(response["Location"]).content.decode()
    assert 'id="id_enabled" checked' in settings


@pytest.mark.django_db
def test_settings_htmx_save_changing_enabled_reloads_the_page(admin_client, realm, confidential):
    data = {"client_id": "my-app", "client_authentication": "on", "standard_flow": "on"}  # enabled unticked
    response = admin_client.post(url("client-settings", realm, confidential), data, **HTMX)
    assert response["HX-Redirect"] == url("client-settings", realm, confidential)
    confidential.refresh_from_db()
    assert not confidential.enabled


@pytest.mark.django_db
def test_header_enabled_switch_permissions(viewer_client, realm, confidential):
    target = url("client-enabled", realm, confidential)
    body = viewer_client.get(url("client-settings", realm, confidential)).content.decode()
    assert f'action="{target}"' not in body and 'aria-checked="true" aria-describedby="client-enabled-help" disabled' in body
    assert viewer_client.post(target, {"enabled": "false"}).status_code == 403
    confidential.refresh_from_db()
    assert confidential.enabled
    assert not AdminEvent.objects.filter(realm=realm).exists()

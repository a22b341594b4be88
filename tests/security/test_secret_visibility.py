"""Who receives a client secret or a token: a permission matrix over every answer that could carry one.

A view-only administrator (view-realm + view-clients) never receives a secret value or a token,
anywhere: the Admin REST API, dynamic registration, the console's pages and htmx partials, the
event pages. manage-clients, and the client's own registration access token, receive them where
Keycloak shows them. A realm-master token works for every realm, with the same roles.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from clients import secrets as secret_store
from clients.models import ClientSecret
from tests.security.conftest import API, DCR, World, call, password_token

pytestmark = pytest.mark.django_db


def answer_text(response) -> str:
    """Everything a caller receives: status line aside, the body (streamed too) and every header."""
    headers = "\n".join(f"{name}: {value}" for name, value in response.items())
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return headers + "\n" + body.decode()


def assert_no_secret(response, world: World, where: str) -> None:
    text = answer_text(response)
    for what, value in world.secrets.items():
        assert value not in text, f"{where}: the {what} reached a view-only administrator"


# --- the viewer: Admin API and dynamic registration ---------------------------------------------


def viewer_api_requests(world: World) -> list[tuple[str, str, object, int]]:
    """(method, path, body, expected status) of every Admin API / registration call that names the client."""
    cid, pk = world.client.client_id, world.client.pk
    return [
        ("get", f"{API}/clients", None, 200),
        ("get", f"{API}/clients?clientId={cid}", None, 200),
        ("get", f"{API}/clients?clientId=ap&search=true", None, 200),
        ("get", f"{API}/clients/{pk}", None, 200),
        ("get", f"{API}/clients/{pk}/roles", None, 200),
        ("get", API, None, 200),
        ("get", f"{API}/admin-events", None, 200),
        ("get", f"{API}/events", None, 200),
        ("get", f"{DCR}/{cid}", None, 200),
        ("get", f"{API}/clients/{pk}/client-secret", None, 403),
        ("get", f"{API}/clients/{pk}/client-secret/rotated", None, 403),
        ("post", f"{API}/clients/{pk}/client-secret", None, 403),
        ("post", f"{API}/clients/{pk}/registration-access-token", None, 403),
        ("post", f"{API}/clients-initial-access", {"count": 1}, 403),
        ("put", f"{API}/clients/{pk}", {"secret": "chosen-by-the-viewer-0123456789"}, 403),
        ("put", f"{DCR}/{cid}", {"client_id": cid}, 403),
        ("delete", f"{DCR}/{cid}", None, 403),
        ("post", DCR, {}, 403),
    ]


def test_view_clients_token_never_receives_a_secret_or_token(client, world):
    token = password_token(client, "viewer")
    for method, path, body, status in viewer_api_requests(world):
        response = call(client, method, path, token, body)
        assert response.status_code == status, (method, path, response.content[:300])
        assert_no_secret(response, world, f"{method.upper()} {path}")


def test_viewer_sees_the_mask_where_a_secret_would_be(client, world):
    token = password_token(client, "viewer")
    rep = call(client, "get", f"{API}/clients/{world.client.pk}", token).json()
    assert rep["secret"] == "**********"
    assert rep["attributes"]["client.secret.rotated"] == "**********"
    assert "registrationAccessToken" not in rep
    metadata = call(client, "get", f"{DCR}/{world.client.client_id}", token).json()
    assert metadata["client_id"] == world.client.client_id
    assert "client_secret" not in metadata and "registration_access_token" not in metadata


def test_a_view_only_token_stays_view_only_after_the_user_is_granted_manage(client, world, django_user_model):
    """As in the Admin API, a role counts only when the token carries it and its user still holds it."""
    token = password_token(client, "viewer")
    viewer = django_user_model.objects.get(username="viewer")
    viewer.user_permissions.add(Permission.objects.get(content_type__app_label="realms", codename="manage_clients"))
    response = call(client, "get", f"{DCR}/{world.client.client_id}", token)
    assert response.status_code == 200
    assert_no_secret(response, world, "GET registration with a token issued before the grant")


def test_a_revoked_manage_role_no_longer_reveals_the_secret(client, world, django_user_model):
    token = password_token(client, "manager")
    manager = django_user_model.objects.get(username="manager")
    manager.user_permissions.set(Permission.objects.filter(content_type__app_label="realms",
                                                          codename__in=["view_realm", "view_clients"]))
    response = call(client, "get", f"{DCR}/{world.client.client_id}", token)
    assert response.status_code == 200
    assert_no_secret(response, world, "GET registration after manage-clients was revoked")
    assert call(client, "get", f"{API}/clients/{world.client.pk}", token).json()["secret"] == "**********"


def test_a_client_access_token_is_no_admin_token(client, world):
    """The registered client's own access token (client_credentials in realm acme) reads nothing."""
    token = client.post("/realms/acme/protocol/openid-connect/token", {
        "grant_type": "client_credentials", "client_id": world.client.client_id, "client_secret": world.current}).json()["access_token"]
    response = call(client, "get", f"{DCR}/{world.client.client_id}", token)
    assert response.status_code in (401, 403)
    assert_no_secret(response, world, "GET registration with the client's access token")


# --- the viewer: console ------------------------------------------------------------------------


def console_pages(world: World) -> list[str]:
    kwargs = {"realm": "acme", "id": world.client.pk}
    return [
        reverse("client-list", kwargs={"realm": "acme"}),
        reverse("client-settings", kwargs=kwargs),
        reverse("client-credentials", kwargs=kwargs),
        reverse("client-roles", kwargs=kwargs),
        reverse("initial-access-tokens", kwargs={"realm": "acme"}),
        reverse("events", kwargs={"realm": "acme"}),
        reverse("events-user", kwargs={"realm": "acme"}),
    ]


def pages_and_partials_hide(client, paths, check) -> None:
    """Each console page, whole and as an htmx partial, answers 200 and passes ``check``."""
    for path in paths:
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = client.get(path, **headers)
            assert response.status_code == 200, path
            check(response, f"console {path} {headers}")


def test_console_pages_and_partials_show_a_viewer_no_secret(client, world, django_user_model):
    client.force_login(django_user_model.objects.get(username="viewer"))
    pages_and_partials_hide(client, console_pages(world), lambda response, label: assert_no_secret(response, world, label))
    credentials = client.get(reverse("client-credentials", kwargs={"realm": "acme", "id": world.client.pk})).content.decode()
    assert 'value="**********"' in credentials


def test_console_actions_refuse_a_viewer_without_a_secret(client, world, django_user_model):
    client.force_login(django_user_model.objects.get(username="viewer"))
    kwargs = {"realm": "acme", "id": world.client.pk}
    for name in ("client-secret-regenerate", "client-registration-token-regenerate", "client-rotated-secret-invalidate",
                 "client-authenticator-save"):
        for headers in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = client.post(reverse(name, kwargs=kwargs), **headers)
            assert response.status_code == 403, name
            assert_no_secret(response, world, f"console POST {name}")
    response = client.post(reverse("initial-access-token-create", kwargs={"realm": "acme"}), {"expiration": "0", "count": "1"})
    assert response.status_code == 403
    assert_no_secret(response, world, "console POST initial-access-token-create")
    assert secret_store.secret_value(secret_store.secret_get(world.client, ClientSecret.CURRENT)) == world.current


# --- manage-clients and the client's own registration access token --------------------------------


def test_manage_clients_token_receives_the_secrets(client, world):
    token = password_token(client, "manager")
    cid, pk = world.client.client_id, world.client.pk
    assert call(client, "get", f"{API}/clients/{pk}", token).json()["secret"] == world.current
    assert call(client, "get", f"{API}/clients/{pk}/client-secret", token).json()["value"] == world.current
    assert call(client, "get", f"{API}/clients/{pk}/client-secret/rotated", token).json()["value"] == world.rotated
    metadata = call(client, "get", f"{DCR}/{cid}", token).json()
    assert metadata["client_secret"] == world.current
    # The registration access token is never stored in clear, so only its holder ever reads it back.
    assert "registration_access_token" not in metadata


def test_the_clients_own_registration_token_receives_its_secret(client, world):
    response = call(client, "get", f"{DCR}/{world.client.client_id}", world.registration_token)
    assert response.status_code == 200
    assert response.json()["client_secret"] == world.current
    assert response.json()["registration_access_token"] == world.registration_token


def test_another_clients_registration_token_reads_nothing(client, world):
    other = call(client, "post", DCR, world.initial_token, {"client_name": "Other"}).json()
    response = call(client, "get", f"{DCR}/{world.client.client_id}", other["registration_access_token"])
    assert response.status_code == 401
    assert_no_secret(response, world, "GET registration with another client's registration token")


def test_console_manager_sees_the_secret(client, world, django_user_model):
    client.force_login(django_user_model.objects.get(username="manager"))
    body = client.get(reverse("client-credentials", kwargs={"realm": "acme", "id": world.client.pk})).content.decode()
    assert f'value="{world.current}"' in body and f'value="{world.rotated}"' in body


# --- the other places: adapter configuration, webhooks, policies JSON, Secret rotation, Secret compromised --

ADAPTER = "installation/providers/keycloak-oidc-keycloak-json"


@pytest.fixture
def whsec(world) -> str:
    """A (disabled: nothing is sent) webhook of realm acme; its signing secret."""
    from realms.actor import Actor
    from webhooks import services as webhook_services

    endpoint, secret = webhook_services.webhook_create(realm=world.client.realm, url="https://hooks.example.com/in",
                                                       event_types=list(webhook_services.EVENT_TYPES), enabled=False, actor=Actor())
    assert secret.startswith("whsec_")
    world.webhook = endpoint
    return secret


def assert_absent(response, values: dict[str, str], where: str) -> None:
    text = answer_text(response)
    for what, value in values.items():
        assert value not in text, f"{where}: the {what} reached a caller who may not read it"


def other_console_pages(world: World) -> list[str]:
    kwargs = {"realm": "acme", "id": world.client.pk}
    realm = {"realm": "acme"}
    return [
        reverse("client-adapter-config", kwargs=kwargs),
        reverse("client-adapter-config", kwargs=kwargs) + "?download=1",
        reverse("secret-rotation", kwargs=realm),
        reverse("secret-rotation-csv", kwargs=realm),
        reverse("client-policies-policies", kwargs=realm) + "?view=json",  # the JSON editors
        reverse("client-policies", kwargs=realm) + "?view=json",
        reverse("realm-webhooks", kwargs=realm),
    ]


def test_viewer_gets_no_secret_from_the_other_places(client, world, whsec, django_user_model):
    secrets = {**world.secrets, "webhook signing secret": whsec}
    token = password_token(client, "viewer")
    webhook = f"{API}/webhooks/{world.webhook.pk}"
    for method, path, status in [
        ("get", f"{API}/clients/{world.client.pk}/{ADAPTER}", 200),
        ("get", f"{API}/client-secrets", 200),
        ("get", f"{API}/client-secrets/summary", 200),
        ("get", f"{API}/webhooks", 200),
        ("get", webhook, 200),
        ("post", f"{webhook}/secret", 403),
        ("post", f"{API}/webhooks", 403),
    ]:
        response = call(client, method, path, token, {"url": "https://hooks.example.com/x", "eventTypes": []} if method == "post" else None)
        assert response.status_code == status, (method, path, response.content[:300])
        assert_absent(response, secrets, f"{method.upper()} {path}")
    adapter = call(client, "get", f"{API}/clients/{world.client.pk}/{ADAPTER}", token).json()
    assert adapter["credentials"] == {"secret": "**********"}

    client.force_login(django_user_model.objects.get(username="viewer"))
    pages_and_partials_hide(client, other_console_pages(world), lambda response, label: assert_absent(response, secrets, label))
    editor = client.get(reverse("client-policies-policies", kwargs={"realm": "acme"}), {"view": "json"}).content.decode()
    assert "<textarea" in editor and "Weekly Client Secret Rotation Policy" in editor  # the editor, with the policy
    kwargs = {"realm": "acme", "id": world.client.pk}
    for path in (reverse("client-secret-compromised", kwargs=kwargs),
                 reverse("webhook-secret", kwargs={"realm": "acme", "webhook_id": world.webhook.pk})):
        response = client.post(path)
        assert response.status_code == 403, path
        assert_absent(response, secrets, f"console POST {path}")
    assert secret_store.secret_value(secret_store.secret_get(world.client, ClientSecret.CURRENT)) == world.current


def test_manage_clients_reads_the_adapter_secret_and_no_list_ever_shows_one(client, world, whsec, django_user_model):
    """The adapter configuration carries the secret for manage-clients; the Secret rotation page, its
    CSV and GET /client-secrets never carry one, whoever asks; webhooks need manage-realm."""
    token = password_token(client, "manager")
    adapter = call(client, "get", f"{API}/clients/{world.client.pk}/{ADAPTER}", token)
    assert adapter.json()["credentials"] == {"secret": world.current}
    for path in (f"{API}/client-secrets", f"{API}/webhooks"):
        response = call(client, "get", path, token)
        assert response.status_code == 200
        assert_absent(response, {**world.secrets, "webhook signing secret": whsec}, f"GET {path}")
    assert call(client, "post", f"{API}/webhooks/{world.webhook.pk}/secret", token).status_code == 403

    client.force_login(django_user_model.objects.get(username="manager"))
    kwargs = {"realm": "acme", "id": world.client.pk}
    config = client.get(reverse("client-adapter-config", kwargs=kwargs) + "?download=1")
    assert config.json()["credentials"] == {"secret": world.current}
    for name in ("secret-rotation", "secret-rotation-csv", "client-policies-policies", "realm-webhooks"):
        response = client.get(reverse(name, kwargs={"realm": "acme"}), {"view": "json"})
        assert response.status_code == 200
        assert_absent(response, {**world.secrets, "webhook signing secret": whsec}, f"console {name}")


def test_secret_compromised_shows_the_new_secret_to_manage_clients_only(client, world, django_user_model):
    client.force_login(django_user_model.objects.get(username="manager"))
    kwargs = {"realm": "acme", "id": world.client.pk}
    response = client.post(reverse("client-secret-compromised", kwargs=kwargs), follow=True)
    assert response.status_code == 200
    new = secret_store.secret_value(secret_store.secret_get(world.client, ClientSecret.CURRENT))
    assert new != world.current
    body = response.content.decode()
    assert f'value="{new}"' in body
    assert world.current not in body and world.rotated not in body  # no rotated secret is kept
    client.force_login(django_user_model.objects.get(username="viewer"))
    assert new not in client.get(reverse("client-credentials", kwargs=kwargs)).content.decode()


def test_webhook_signing_secret_reaches_manage_realm_once(client, world):
    from webhooks.services import EVENT_TYPES

    token = password_token(client, "admin")
    created = call(client, "post", f"{API}/webhooks", token, {"url": "https://hooks.example.com/y", "eventTypes": list(EVENT_TYPES)[:1],
                                                              "enabled": False})
    assert created.status_code == 201, created.content
    secret = created.json()["secret"]
    assert secret.startswith("whsec_")
    webhook = f"{API}/webhooks/{created.json()['id']}"
    assert secret not in answer_text(call(client, "get", webhook, token))
    regenerated = call(client, "post", f"{webhook}/secret", token).json()["secret"]
    assert regenerated.startswith("whsec_") and regenerated != secret
    assert regenerated not in answer_text(call(client, "get", f"{API}/webhooks", token))

"""Console pages of this app, included in ``/console/<realm>/`` before the clients app."""

from django.urls import path

from oidc import console

urlpatterns = [
    path("realm-settings/keys", console.realm_keys, name="realm-keys"),
    path("realm-settings/keys/rotate", console.realm_key_rotate, name="realm-key-rotate"),
    path("realm-settings/tokens", console.realm_tokens, name="realm-tokens"),
    path("clients/initial-access-tokens", console.initial_access_tokens, name="initial-access-tokens"),
    path("clients/initial-access-tokens/create", console.initial_access_token_create, name="initial-access-token-create"),
    path("clients/<uuid:id>/adapter-config", console.client_adapter_config, name="client-adapter-config"),
    path("clients/initial-access-tokens/<int:token_id>/delete", console.initial_access_token_delete, name="initial-access-token-delete"),
]

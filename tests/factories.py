"""factory_boy factories shared by the test suite: the one place tests build model rows.

Rows made here go straight to the database, without a service: no admin event, no policy
event. Tests of what a service writes call the service instead.
"""

from __future__ import annotations

import factory

from clients import secrets as secret_store
from clients.models import Client, ClientRole, ClientSecret
from policies.models import (
    ClientPolicy,
    ClientPolicyCondition,
    ClientPolicyProfile,
    ClientProfile,
    ClientProfileExecutor,
)
from realms import clock
from realms.models import Realm


class RealmFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Realm
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"realm-{n}")


class ClientFactory(factory.django.DjangoModelFactory):
    """A confidential OIDC client with a current secret. ``public_client=True`` (or
    ``PublicClientFactory``) gives a public client without a secret."""

    class Meta:
        model = Client
        skip_postgeneration_save = True

    realm = factory.SubFactory(RealmFactory)
    client_id = factory.Sequence(lambda n: f"client-{n}")
    name = factory.LazyAttribute(lambda o: o.client_id.replace("-", " ").title())
    redirect_uris = factory.LazyFunction(lambda: ["https://app.example.com/*"])

    @factory.post_generation
    def secret(obj, create, extracted, **kwargs):
        """``secret="value"`` stores that value; ``secret=False`` stores none; default: generated."""
        if not create or not obj.has_secret_type or extracted is False:
            return
        secret_store.secret_set_current(obj, extracted, now=clock.epoch())


class PublicClientFactory(ClientFactory):
    public_client = True


class ClientRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientRole

    client = factory.SubFactory(ClientFactory)
    name = factory.Sequence(lambda n: f"role-{n}")


ENGINE_T0 = 1_800_000_000  # the instant the engine and rotation tests start from


def client_make(realm, client_id: str = "app", *, public=False, bearer_only=False, now: int = ENGINE_T0, **fields) -> Client:
    """A client as the model's defaults make it (no name, no redirect URIs), straight in the
    database (no policy event), its current secret stamped at ``now``: for engine-level tests."""
    client = ClientFactory(
        realm=realm, client_id=client_id, public_client=public, bearer_only=bearer_only,
        name="", redirect_uris=[], secret=False, **fields,
    )
    if client.has_secret_type:
        secret_store.secret_set_current(client, now=now)
    return client


def client_secrets_make(
    realm, client_id: str, *, created: int, expires: int | None = None, last_used: int | None = None,
    use_count: int = 0, rotated_expires: int | None = None, rotated_last_used: int | None = None,
    rotated_use_count: int = 0, rotated: bool = False,
) -> Client:
    """A confidential client whose current secret was made (or rotated in) at ``created``, with
    that expiry and use; ``rotated=True`` (or a ``rotated_expires``) adds the rotated secret,
    rotated out at ``created``. Straight in the database: for the secret-rotation overview."""
    client = ClientFactory(realm=realm, client_id=client_id, secret=False)
    secret_store.secret_set_current(client, now=created)
    ClientSecret.objects.filter(client=client, kind=ClientSecret.CURRENT).update(
        expiration_time=expires, last_used_time=last_used, use_count=use_count
    )
    if rotated or rotated_expires is not None:
        secret_store.secret_store_rotated(client, "rotated-" + client_id, now=created, expiration_time=rotated_expires)
        ClientSecret.objects.filter(client=client, kind=ClientSecret.ROTATED).update(
            last_used_time=rotated_last_used, use_count=rotated_use_count
        )
    return client


# --- client profiles and policies ---------------------------------------------------------------


def _next_position(model, **scope) -> int:
    """After the rows already in ``scope``, as the services number them."""
    return model.objects.filter(**scope).count()


class ClientProfileExecutorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientProfileExecutor

    profile = factory.SubFactory("tests.factories.ClientProfileFactory")
    position = factory.LazyAttribute(lambda o: _next_position(ClientProfileExecutor, profile=o.profile))
    provider_id = "secret-rotation"
    configuration = factory.LazyFunction(dict)


class ClientProfileFactory(factory.django.DjangoModelFactory):
    """A profile; ``executors=[(provider_id, configuration), ...]`` adds them in that order."""

    class Meta:
        model = ClientProfile
        skip_postgeneration_save = True

    realm = factory.SubFactory(RealmFactory)
    name = factory.Sequence(lambda n: f"profile-{n}")
    position = factory.LazyAttribute(lambda o: _next_position(ClientProfile, realm=o.realm))

    @factory.post_generation
    def executors(obj, create, extracted, **kwargs):
        for provider_id, configuration in extracted or ():
            ClientProfileExecutorFactory(profile=obj, provider_id=provider_id, configuration=configuration)


class ClientPolicyConditionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientPolicyCondition

    policy = factory.SubFactory("tests.factories.ClientPolicyFactory")
    position = factory.LazyAttribute(lambda o: _next_position(ClientPolicyCondition, policy=o.policy))
    provider_id = "any-client"
    configuration = factory.LazyFunction(dict)


class ClientPolicyProfileFactory(factory.django.DjangoModelFactory):
    """A policy's reference to a profile, by name."""

    class Meta:
        model = ClientPolicyProfile

    policy = factory.SubFactory("tests.factories.ClientPolicyFactory")
    position = factory.LazyAttribute(lambda o: _next_position(ClientPolicyProfile, policy=o.policy))
    profile_name = factory.Sequence(lambda n: f"profile-{n}")


class ClientPolicyFactory(factory.django.DjangoModelFactory):
    """An enabled policy; ``conditions=[(provider_id, configuration), ...]`` and
    ``profiles=[name, ...]`` add them in that order."""

    class Meta:
        model = ClientPolicy
        skip_postgeneration_save = True

    realm = factory.SubFactory(RealmFactory)
    name = factory.Sequence(lambda n: f"policy-{n}")
    enabled = True
    position = factory.LazyAttribute(lambda o: _next_position(ClientPolicy, realm=o.realm))

    @factory.post_generation
    def conditions(obj, create, extracted, **kwargs):
        for provider_id, configuration in extracted or ():
            ClientPolicyConditionFactory(policy=obj, provider_id=provider_id, configuration=configuration)

    @factory.post_generation
    def profiles(obj, create, extracted, **kwargs):
        for profile_name in extracted or ():
            ClientPolicyProfileFactory(policy=obj, profile_name=profile_name)


CONFIDENTIAL = [("client-access-type", {"type": ["confidential"]})]
ANY_CLIENT = [("any-client", {})]


def rotation_config(expiration, rotated, remaining) -> dict:
    """The secret-rotation executor's configuration as Keycloak's console sends it: numbers as strings."""
    return {
        "expiration-period": str(expiration),
        "rotated-expiration-period": str(rotated),
        "remaining-rotation-period": str(remaining),
    }


def profile_make(realm, name: str, executors) -> ClientProfile:
    """``executors``: (provider_id, configuration) pairs, in order."""
    return ClientProfileFactory(realm=realm, name=name, executors=executors)


def policy_make(realm, name: str, conditions, profiles, enabled: bool = True) -> ClientPolicy:
    """``conditions``: (provider_id, configuration) pairs; ``profiles``: profile names."""
    return ClientPolicyFactory(realm=realm, name=name, enabled=enabled, conditions=conditions, profiles=profiles)


def rotation_policy_make(
    realm, expiration=3600, rotated=600, remaining=1800, *, name="rotation", profile_name=None, conditions=None
) -> ClientPolicy:
    """A secret-rotation profile (``<name>-profile`` unless named) and a policy applying it to
    confidential clients (or to ``conditions``)."""
    profile_name = profile_name or f"{name}-profile"
    profile_make(realm, profile_name, [("secret-rotation", rotation_config(expiration, rotated, remaining))])
    return policy_make(realm, name, CONFIDENTIAL if conditions is None else conditions, [profile_name])


def confidential_only_policy(realm) -> ClientPolicy:
    """Every client must be confidential: creating a public client is refused."""
    profile_make(realm, "confidential only", [("confidential-client", {})])
    return policy_make(realm, "no public", ANY_CLIENT, ["confidential only"])

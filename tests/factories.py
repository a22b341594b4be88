"""factory_boy factories shared by the test suite. Add yours below; keep them small."""

from __future__ import annotations

import factory

from clients import secrets as secret_store
from clients.models import Client, ClientRole
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

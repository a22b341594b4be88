"""Issue 14 item 3: every field's mistake at once, a Client Access Type is required, and one
sentence for a duplicate name in the console (the Admin API keeps Keycloak's)."""

from __future__ import annotations

import pytest

from policies import services
from policies.errors import PolicyValidationError
from policies.models import ClientProfile
from realms.actor import Actor
from tests.factories import ClientFactory

pytestmark = pytest.mark.django_db

BASE = "/console/master/realm-settings/client-policies/"
ACTOR = Actor()


def test_every_bad_seconds_field_is_flagged_at_once(admin_client, master):
    profile = services.profile_create(realm=master, name="weekly", actor=ACTOR)
    response = admin_client.post(f"{BASE}profiles/{profile.pk}/add-executor", {
        "executor": "secret-rotation",
        "config-expiration-period": "a week",
        "config-rotated-expiration-period": "1e9",
        "config-remaining-rotation-period": "86400",
    })
    body = response.content.decode()
    assert response.status_code == 400
    assert 'id="id_config-expiration-period-error">Secret Expiration must be a number of seconds<' in body
    assert 'id="id_config-rotated-expiration-period-error">Rotated Secret Expiration must be a number of seconds<' in body
    assert 'id="id_config-remaining-rotation-period-error"' not in body
    assert 'value="a week"' in body, "what was typed stays"
    assert not profile.executors.exists()


def test_client_access_type_condition_needs_a_type(admin_client, master):
    policy = services.policy_create(realm=master, name="p", actor=ACTOR)
    response = admin_client.post(f"{BASE}policies/{policy.pk}/create-condition", {"condition": "client-access-type"})
    assert response.status_code == 400
    assert 'id="id_config-type-error">Choose at least one Client Access Type<' in response.content.decode()
    assert not policy.conditions.exists()
    # The Admin API keeps accepting what Keycloak accepts.
    services.policy_condition_add(realm=master, policy=policy, condition="client-access-type", configuration={"type": []}, actor=ACTOR)
    assert policy.conditions.count() == 1


def test_duplicate_names_have_one_sentence(admin_client, master):
    services.profile_create(realm=master, name="weekly", actor=ACTOR)
    response = admin_client.post(f"{BASE}profiles/add-profile", {"name": "weekly"})
    assert response.status_code == 400
    assert "A client profile named &#x27;weekly&#x27; already exists" in response.content.decode()
    assert ClientProfile.objects.filter(name="weekly").count() == 1

    ClientFactory(realm=master, client_id="billing")
    response = admin_client.post("/console/master/clients/add-client", {"protocol": "openid-connect", "client_id": "billing", "client_authentication": "on", "standard_flow": "on"})
    assert "A client with Client ID &#x27;billing&#x27; already exists" in response.content.decode()


def test_admin_api_keeps_keycloaks_duplicate_text(admin_client, master):
    services.profile_create(realm=master, name="weekly", actor=ACTOR)
    with pytest.raises(PolicyValidationError) as exc:
        services.profile_create(realm=master, name="weekly", actor=ACTOR)
    assert exc.value.body == {"errorMessage": "proposed client profile name duplicated."}

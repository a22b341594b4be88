"""The provider registry: what the selects offer, what each form shows, what each type accepts."""

from __future__ import annotations

import pytest

from policies.errors import PolicyValidationError
from policies.providers import CONDITIONS, EXECUTORS, ConfigError
from policies.providers.base import INVALID_EXECUTOR_MESSAGE
from policies.services import condition_validate, executor_validate

SECRET_ROTATION = EXECUTORS["secret-rotation"]


def test_only_the_implemented_types_are_registered():
    assert list(EXECUTORS) == ["secret-rotation", "confidential-client", "secure-client-authenticator"]
    assert set(CONDITIONS) == {"client-access-type", "client-roles", "any-client", "client-updater-context", "client-attributes"}


def test_secret_rotation_fields_labels_defaults_and_help_texts():
    fields = [(f.key, f.label, f.default) for f in SECRET_ROTATION.fields]
    assert fields == [
        ("expiration-period", "Secret Expiration", "2505600"),
        ("rotated-expiration-period", "Rotated Secret Expiration", "172800"),
        ("remaining-rotation-period", "Remain Expiration Time", "864000"),
    ]
    assert SECRET_ROTATION.help_text == (
        "The executor verifies that secret rotation is enabled for the client. If rotation is enabled, it provides "
        "validation of secrets and performs rotation if necessary."
    )
    assert SECRET_ROTATION.field("expiration-period").help_text == (
        "When the secret is rotated. The time frequency for generating a new secret. (In seconds)"
    )
    assert "This value should be always smaller than Secret Expiration." in SECRET_ROTATION.field("rotated-expiration-period").help_text
    assert SECRET_ROTATION.field("remaining-rotation-period").help_text.endswith(
        "This configuration option is relevant only for dynamic client update requests (In seconds)"
    )


def test_every_condition_but_any_client_offers_negative_logic_first():
    for provider_id, provider in CONDITIONS.items():
        keys = [f.key for f in provider.fields]
        if provider_id == "any-client":
            assert keys == []
        else:
            assert keys[0] == "is-negative-logic", provider_id
            assert provider.fields[0].label == "Negative Logic"


def test_client_access_type_field_is_a_multiselect_with_confidential_preselected():
    field = CONDITIONS["client-access-type"].field("type")
    assert field.label == "Client Access Type"
    assert field.kind == "multiselect"
    assert field.options == ("confidential", "public", "bearer-only")
    assert tuple(field.default) == ("confidential",)
    roles = CONDITIONS["client-roles"].field("roles")
    assert (roles.label, roles.kind, roles.default) == ("Client Roles", "stringlist", None)


@pytest.mark.parametrize(
    "configuration",
    [
        {"expiration-period": "604800", "rotated-expiration-period": "172800", "remaining-rotation-period": "86400"},
        {"expiration-period": 604800, "rotated-expiration-period": 172800, "remaining-rotation-period": 86400},
        {"expiration-period": "604800", "rotated-expiration-period": 0, "remaining-rotation-period": "604800"},
        {"expiration-period": "604800", "rotated-expiration-period": "-5", "remaining-rotation-period": "-1"},
        {},  # every key takes its default (docs/differences.md (c))
        None,
        {"rotated-expiration-period": "60"},
    ],
)
def test_secret_rotation_accepts(configuration):
    effective = executor_validate("secret-rotation", configuration)
    assert SECRET_ROTATION(configuration).expiration_period > 0
    assert "expiration-period" in effective


def test_secret_rotation_missing_keys_take_defaults():
    executor = SECRET_ROTATION({})
    assert (executor.expiration_period, executor.rotated_expiration_period, executor.remaining_rotation_period) == (
        2505600,
        172800,
        864000,
    )


@pytest.mark.parametrize(
    "configuration, field, detail",
    [
        # Keycloak's own fixture (60, 61, 30) and the product's strict rule (60, 60, 30): docs/differences.md (b).
        ({"expiration-period": 60, "rotated-expiration-period": 61, "remaining-rotation-period": 30}, "rotated-expiration-period", "Rotated Secret Expiration must be less than Secret Expiration"),
        ({"expiration-period": 60, "rotated-expiration-period": 60, "remaining-rotation-period": 30}, "rotated-expiration-period", "Rotated Secret Expiration must be less than Secret Expiration"),
        ({"expiration-period": "172800", "rotated-expiration-period": "172800", "remaining-rotation-period": "86400"}, "rotated-expiration-period", "Rotated Secret Expiration must be less than Secret Expiration"),
        # With defaults filled in, 3600 alone is refused: the default rotated period 172800 is not less.
        ({"expiration-period": "3600"}, "rotated-expiration-period", "Rotated Secret Expiration must be less than Secret Expiration"),
        ({"expiration-period": "0", "rotated-expiration-period": "-1", "remaining-rotation-period": "0"}, "expiration-period", "Secret Expiration must be greater than 0"),
        ({"expiration-period": "-10"}, "expiration-period", "Secret Expiration must be greater than 0"),
        ({"expiration-period": "600", "rotated-expiration-period": "60", "remaining-rotation-period": "601"}, "remaining-rotation-period", "Remain Expiration Time must not be greater than Secret Expiration"),
        ({"expiration-period": "one week"}, "expiration-period", "Secret Expiration must be a number of seconds"),
        ({"expiration-period": True}, "expiration-period", "Secret Expiration must be a number of seconds"),
        ({"expiration-period": 1.5}, "expiration-period", "Secret Expiration must be a number of seconds"),
        ({"rotated-expiration-period": None}, "rotated-expiration-period", "Rotated Secret Expiration must be a number of seconds"),
    ],
)
def test_secret_rotation_refusals(configuration, field, detail):
    with pytest.raises(PolicyValidationError) as caught:
        executor_validate("secret-rotation", configuration)
    assert caught.value.message == INVALID_EXECUTOR_MESSAGE
    assert caught.value.field == field
    assert caught.value.detail == detail
    assert caught.value.body == {"errorMessage": INVALID_EXECUTOR_MESSAGE}


def test_secret_rotation_configuration_must_be_an_object():
    with pytest.raises(PolicyValidationError) as caught:
        executor_validate("secret-rotation", ["604800"])
    assert caught.value.message == INVALID_EXECUTOR_MESSAGE


@pytest.mark.parametrize("executor", ["pkce-enforcer", "nope", None, 7])
def test_unknown_executor_is_refused_with_keycloaks_message(executor):
    with pytest.raises(PolicyValidationError) as caught:
        executor_validate(executor, {})
    assert caught.value.message == INVALID_EXECUTOR_MESSAGE
    assert caught.value.field == "executor"


def test_secure_client_authenticator_validation():
    executor_validate("secure-client-authenticator", {"allowed-client-authenticators": ["client-secret", "client-jwt"], "default-client-authenticator": "client-jwt"})
    with pytest.raises(PolicyValidationError) as caught:
        executor_validate("secure-client-authenticator", {"allowed-client-authenticators": ["client-secret"], "default-client-authenticator": "client-jwt"})
    assert caught.value.field == "default-client-authenticator"
    with pytest.raises(PolicyValidationError):
        executor_validate("secure-client-authenticator", {"allowed-client-authenticators": ["magic"]})


def test_condition_refusals_name_the_policy_and_the_condition():
    with pytest.raises(PolicyValidationError) as caught:
        condition_validate("pol-a", "client-scopes", {})
    assert caught.value.message == "Policy pol-a contains invalid condition client-scopes"
    with pytest.raises(PolicyValidationError) as caught:
        condition_validate("pol-a", None, {})
    assert caught.value.message == "Policy pol-a contains invalid condition null"
    with pytest.raises(PolicyValidationError) as caught:
        condition_validate("pol-a", "client-access-type", {"type": ["secret-agent"]})
    assert caught.value.message == "Invalid client-access-type configuration - type has unknown value secret-agent"
    assert caught.value.field == "type"
    with pytest.raises(PolicyValidationError) as caught:
        condition_validate("pol-a", "client-roles", {"roles": [1, 2]})
    assert caught.value.message == "Invalid client-roles configuration - roles must be a list of strings"
    with pytest.raises(PolicyValidationError) as caught:
        condition_validate("pol-a", "client-access-type", {"is-negative-logic": "maybe"})
    assert caught.value.message == "Invalid client-access-type configuration - is-negative-logic must be a boolean"
    with pytest.raises(PolicyValidationError) as caught:
        condition_validate("pol-a", "client-attributes", {"attributes": "not json"})
    assert caught.value.message.startswith("Invalid client-attributes configuration - ")


@pytest.mark.parametrize(
    "condition, configuration",
    [
        ("client-access-type", {"is-negative-logic": False, "type": ["confidential"]}),
        ("client-access-type", {"type": ["public", "bearer-only"]}),
        ("client-roles", {"roles": ["rotate-weekly"]}),
        ("any-client", {}),
        ("any-client", None),
        ("client-updater-context", {"update-client-source": ["ByAuthenticatedUser", "ByAnonymous"]}),
        ("client-attributes", {"attributes": '[{"key":"rotation","value":"weekly"}]'}),
    ],
)
def test_condition_accepts(condition, configuration):
    condition_validate("p", condition, configuration)


def test_config_error_carries_the_field():
    error = ConfigError("x must be y", "x")
    assert (error.message, error.field) == ("x must be y", "x")

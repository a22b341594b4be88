"""Executor and condition types, registered by their Keycloak provider id.

Adding a type is adding one class in ``executors.py`` or ``conditions.py`` decorated with
``@register``. Each class declares its label, help text, configuration fields (the console's form
is built from them), validation, and the events it handles.
"""

from policies.providers import conditions, executors  # noqa: F401,E402  (registers the types)
from policies.providers.base import (  # noqa: F401
    CONDITIONS,
    EXECUTORS,
    ConditionType,
    ConfigError,
    ExecutorType,
    Field,
    condition_type,
    executor_type,
)

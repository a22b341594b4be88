"""The Client Policies tab of Realm Settings, one module per page: the Profiles and Policies
tables, a profile with its executors, a policy with its conditions and profiles, the JSON editor.
Thin views over ``policies.selectors`` and ``policies.services``."""

from policies.views.apply import job_detail, matching_clients, policy_apply, profile_matching_clients
from policies.views.json_editor import policies_json, profiles_json
from policies.views.policies_list import policies_tab, policy_toggle
from policies.views.policy_detail import (
    condition_add,
    condition_delete,
    condition_detail,
    policy_create,
    policy_delete,
    policy_detail,
    policy_profile_remove,
    policy_profiles_add,
)
from policies.views.profile_detail import (
    executor_add,
    executor_delete,
    executor_detail,
    profile_create,
    profile_delete,
    profile_detail,
)
from policies.views.profiles_list import profiles_tab

__all__ = [
    "condition_add",
    "condition_delete",
    "condition_detail",
    "executor_add",
    "executor_delete",
    "executor_detail",
    "job_detail",
    "matching_clients",
    "policies_json",
    "policies_tab",
    "policy_apply",
    "policy_create",
    "policy_delete",
    "policy_detail",
    "policy_profile_remove",
    "policy_profiles_add",
    "policy_toggle",
    "profile_create",
    "profile_delete",
    "profile_detail",
    "profile_matching_clients",
    "profiles_json",
    "profiles_tab",
]

"""Realm Settings → Client Policies, under /console/<realm>/realm-settings/client-policies/.

Profiles and policies are addressed by their id (names may hold any character), executors and
conditions by their row's id (a bookmark never opens another entry after a removal).
"""

from django.urls import path

from policies import views

urlpatterns = [
    path("", views.profiles_tab, name="client-policies"),
    path("policies/", views.policies_tab, name="client-policies-policies"),
    path("profiles/json", views.profiles_json, name="client-profiles-json"),
    path("policies/json", views.policies_json, name="client-policies-json"),
    # profiles and their executors
    path("profiles/add-profile", views.profile_create, name="client-profile-create"),
    path("profiles/<str:profile>/", views.profile_detail, name="client-profile"),
    path("profiles/<str:profile>/delete", views.profile_delete, name="client-profile-delete"),
    path("profiles/<str:profile>/add-executor", views.executor_add, name="client-profile-executor-add"),
    path("profiles/<str:profile>/executors/<int:id>/", views.executor_detail, name="client-profile-executor"),
    path("profiles/<str:profile>/executors/<int:id>/delete", views.executor_delete, name="client-profile-executor-delete"),
    path("profiles/<str:profile>/matching-clients", views.profile_matching_clients, name="client-profile-matching"),
    # policies, their conditions and their profiles
    path("policies/add-client-policy", views.policy_create, name="client-policy-create"),
    path("policies/<str:policy>/", views.policy_detail, name="client-policy"),
    path("policies/<str:policy>/delete", views.policy_delete, name="client-policy-delete"),
    path("policies/<str:policy>/toggle", views.policy_toggle, name="client-policy-toggle"),
    path("policies/<str:policy>/create-condition", views.condition_add, name="client-policy-condition-add"),
    path("policies/<str:policy>/conditions/<int:id>/", views.condition_detail, name="client-policy-condition"),
    path("policies/<str:policy>/conditions/<int:id>/delete", views.condition_delete, name="client-policy-condition-delete"),
    path("policies/<str:policy>/add-client-profile", views.policy_profiles_add, name="client-policy-add-profiles"),
    path("policies/<str:policy>/profiles/<int:index>/remove", views.policy_profile_remove, name="client-policy-profile-remove"),
    # the policy over the existing clients: which it selects, the preview, the job applying it
    path("policies/<str:policy>/matching-clients", views.matching_clients, name="client-policy-matching"),
    path("policies/<str:policy>/apply", views.policy_apply, name="client-policy-apply"),
    path("jobs/<int:job>/", views.job_detail, name="client-policy-job"),
]

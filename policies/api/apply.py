"""Admin REST API: which clients a client policy selects, its dry run and its application as a
job (not Keycloak endpoints).

``GET  /admin/realms/{realm}/client-policies/policies/{name}/clients`` (view-realm)
``GET  /admin/realms/{realm}/client-policies/profiles/{name}/clients`` (view-realm): the clients an
update would give the profile, each with the enabled policies (``policies``) through which it does
``POST /admin/realms/{realm}/client-policies/policies/{name}/apply?dryRun=true`` (view-realm): 200
``POST /admin/realms/{realm}/client-policies/policies/{name}/apply`` (manage-realm): 202 ``{"id"}``,
409 ``{"errorMessage"}`` while the realm has a job queued or running
``GET  /admin/realms/{realm}/jobs/{id}`` (view-realm)
"""

from __future__ import annotations

from ninja import Query, Router
from pydantic import BaseModel

from adminconsole.api.common import authorized_realm
from adminconsole.api.errors import error_message, json_response, not_found
from adminconsole.api.schemas import ERRORS_READ, KeycloakError
from jobs import selectors as job_selectors
from jobs import services as job_services
from jobs import tasks as job_tasks
from jobs.models import Job
from policies.models import ClientPolicy, ClientProfile
from realms import permissions
from realms.selectors import MAX_RESULTS, page

router = Router(tags=["Client policies"])
INT32_MAX = 2**31 - 1


class MatchingClient(BaseModel):
    id: str
    clientId: str  # noqa: N815  (the wire name)


class ProfileClient(MatchingClient):
    policies: list[str]


class ApplyOutcome(MatchingClient):
    outcome: str
    detail: str


class JobCreated(BaseModel):
    id: int


class JobRepresentation(BaseModel):
    id: int
    status: str
    total: int
    done: int
    outcomes: dict[str, int]


def _policy(realm, name: str) -> ClientPolicy:
    try:
        return job_selectors.policy_by_name(realm=realm, name=name)
    except ClientPolicy.DoesNotExist:
        raise not_found("Could not find client policy") from None


@router.get(
    "/realms/{realm}/client-policies/policies/{name}/clients",
    response={200: list[MatchingClient], 400: KeycloakError, **ERRORS_READ},
    summary="The clients a client policy selects now",
    description="The realm's clients (by clientId) whose update the policy's conditions would select now, "
    "whether the policy is enabled or not. `search` filters by clientId; `first` / `max` paginate.",
)
def policy_clients(
    request,
    realm: str,
    name: str,
    search: str = Query("", max_length=255),
    first: int = Query(0, ge=0, le=INT32_MAX),
    max_: int = Query(100, alias="max", ge=0, le=INT32_MAX, description=f"at most {MAX_RESULTS} are answered"),
):
    auth, realm_obj = authorized_realm(request, realm, permissions.VIEW_REALM)
    policy = _policy(realm_obj, name)
    matches = job_selectors.policy_matching_clients(realm=realm_obj, policy=policy, actor=auth.actor, search=search.strip())
    return json_response([{"id": m.id, "clientId": m.client_id} for m in matches[page(first, max_)]])


@router.get(
    "/realms/{realm}/client-policies/profiles/{name}/clients",
    response={200: list[ProfileClient], 400: KeycloakError, **ERRORS_READ},
    summary="The clients a client profile reaches now",
    description="The realm's clients (by clientId) that an update would give the profile now: those that an "
    "enabled client policy naming the profile selects; `policies` names those policies, in their order. "
    "`search` filters by clientId; `first` / `max` paginate.",
)
def profile_clients(
    request,
    realm: str,
    name: str,
    search: str = Query("", max_length=255),
    first: int = Query(0, ge=0, le=INT32_MAX),
    max_: int = Query(100, alias="max", ge=0, le=INT32_MAX, description=f"at most {MAX_RESULTS} are answered"),
):
    auth, realm_obj = authorized_realm(request, realm, permissions.VIEW_REALM)
    try:
        profile = job_selectors.profile_by_name(realm=realm_obj, name=name)
    except ClientProfile.DoesNotExist:
        raise not_found("Could not find client profile") from None
    matches = job_selectors.profile_matching_clients(realm=realm_obj, profile=profile, actor=auth.actor, search=search.strip())
    return json_response(
        [{"id": m.id, "clientId": m.client_id, "policies": [p for p, _yes in m.policies]} for m in matches[page(first, max_)]]
    )


@router.post(
    "/realms/{realm}/client-policies/policies/{name}/apply",
    response={200: list[ApplyOutcome], 202: JobCreated, 400: KeycloakError, 409: KeycloakError, **ERRORS_READ},
    summary="Apply a client policy to the existing clients (or preview it)",
    description="With `dryRun=true` (view-realm): for each client the policy selects, what an update would do "
    "now (`outcome`: `expiry-set`, `rotated`, `unchanged` or `refused`, and `detail` in words); nothing is "
    "written. Without it (manage-realm): a job updates every selected client as a console save does; 202 "
    "with its id. 409 while the realm has a job queued or running.",
)
def policy_apply(request, realm: str, name: str, dry_run: bool = Query(False, alias="dryRun")):
    auth, realm_obj = authorized_realm(request, realm, permissions.VIEW_REALM if dry_run else permissions.MANAGE_REALM)
    policy = _policy(realm_obj, name)
    if dry_run:
        outcomes = job_services.policy_apply_preview(realm=realm_obj, policy=policy, actor=auth.actor)
        return json_response([o.as_dict() for o in outcomes])
    try:
        job = job_tasks.policy_apply_start(realm=realm_obj, policy=policy, actor=auth.actor)
    except job_services.JobAlreadyRunning as exc:
        raise error_message(409, exc.message) from exc
    return json_response({"id": job.pk}, status=202)


@router.get(
    "/realms/{realm}/jobs/{job_id}",
    response={200: JobRepresentation, 400: KeycloakError, **ERRORS_READ},
    summary="A job's progress",
    description="`status`: `queued`, `running`, `finished` or `failed`; `done` of `total` clients; `outcomes` "
    "counts them by outcome.",
)
def job_get(request, realm: str, job_id: str):
    auth, realm_obj = authorized_realm(request, realm, permissions.VIEW_REALM)
    try:
        job = job_selectors.job_get(realm=realm_obj, pk=job_id)
    except Job.DoesNotExist:
        raise not_found("Could not find job") from None
    return json_response(job_representation(job))


def job_representation(job: Job) -> dict:
    return {"id": job.pk, "status": job.status, "total": job.total, "done": job.done, "outcomes": job.outcomes}

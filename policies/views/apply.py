"""A policy's reach over the existing clients: the Matching clients section of its page (and of
a profile's page: the clients that get the profile, through which policies), the `Apply to
existing clients` preview (a dry run) and the job that applies it, with its progress.

view-realm sees the matching clients, the preview and a job's progress; starting a job needs
manage-realm. Thin views over ``jobs.selectors``, ``jobs.services`` and ``jobs.tasks``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse

from adminconsole.decorators import realm_view
from adminconsole.htmx import render_page
from jobs import selectors as job_selectors
from jobs import services as job_services
from jobs import tasks as job_tasks
from jobs.models import Job
from policies.forms import PolicyForm, ProfileForm
from policies.views import common
from policies.views.policy_detail import policy_page
from policies.views.profile_detail import profile_page

PAGE_SIZE = 20
JOB_RESULTS = 500  # result rows the job page lists
APPLY_CONFIRM = "Apply the policy {} to {} client(s) now? Each is updated as a save in the console would, with its admin event."


def _int(value: str | None, default: int) -> int:
    try:
        return max(int(value), 0)
    except (TypeError, ValueError):
        return default


def _matching(request, select: Callable[..., list[job_selectors.Match]]) -> dict:
    """One page of the Matching clients section: ``select(search=…)`` gives every match."""
    search = common.search_words(request)
    first = _int(request.GET.get("first"), 0)
    matches = select(search=search)
    return {
        "matches": matches[first : first + PAGE_SIZE],
        "count": len(matches),
        "search": search,
        "first": first,
        "previous": max(first - PAGE_SIZE, 0) if first else None,
        "next": first + PAGE_SIZE if first + PAGE_SIZE < len(matches) else None,
        "last": min(first + PAGE_SIZE, len(matches)),
    }


@realm_view(common.VIEW)
def matching_clients(request, realm, policy):
    """The Matching clients section (htmx), or the policy's page with it filled in."""
    policy = common.policy_or_404(realm, policy)
    form = PolicyForm(initial={"name": policy.name, "description": policy.description or "", "enabled": policy.enabled})
    select = functools.partial(job_selectors.policy_matching_clients, realm=realm, policy=policy, actor=common.actor(request))
    return policy_page(request, realm, form, policy, partial="matching-clients", matching=_matching(request, select))


@realm_view(common.VIEW)
def profile_matching_clients(request, realm, profile):
    """A profile's Matching clients section (htmx), or the profile's page with it filled in: the
    clients an update would give the profile now, through the enabled policies naming it."""
    profile = common.profile_or_404(realm, profile)
    form = ProfileForm(initial={"name": profile.name, "description": profile.description or ""})
    select = functools.partial(job_selectors.profile_matching_clients, realm=realm, profile=profile, actor=common.actor(request))
    return profile_page(request, realm, form, profile, partial="matching-clients", matching=_matching(request, select))


def _job_url(realm, job: Job) -> str:
    return reverse("client-policy-job", kwargs={"realm": realm.name, "job": job.pk})


@realm_view(common.VIEW, write_role=common.MANAGE)
def policy_apply(request, realm, policy):
    """GET: the preview (nothing is written). POST (manage-realm): start the job, go to its page."""
    policy = common.policy_or_404(realm, policy)
    actor = common.actor(request)
    if request.method == "POST":
        try:
            job = job_tasks.policy_apply_start(realm=realm, policy=policy, actor=actor)
        except job_services.JobAlreadyRunning as exc:
            messages.error(request, exc.message)
            return _preview_page(request, realm, policy, status=409, running=exc.job)
        messages.success(request, f"Applying the policy to {job.total} client(s)")
        return redirect(_job_url(realm, job))
    return _preview_page(request, realm, policy)


def _preview_page(request, realm, policy, *, status: int = 200, running: Job | None = None):
    outcomes = job_services.policy_apply_preview(realm=realm, policy=policy, actor=common.actor(request))
    counts = {name: 0 for name in (job_services.EXPIRY_SET, job_services.ROTATED, job_services.UNCHANGED, job_services.REFUSED)}
    for outcome in outcomes:
        counts[outcome.outcome] += 1
    context = common.context(
        request,
        realm,
        policy=policy,
        outcomes=outcomes,
        counts=counts,
        running=running or job_selectors.job_active(realm=realm),
        confirm_message=APPLY_CONFIRM.format(policy.name, len(outcomes)),
    )
    return render_page(request, "policies/policy_apply.html", context, status=status)


@realm_view(common.VIEW)
def job_detail(request, realm, job):
    """A job's progress: the bar and the counts poll every second (htmx) until it has finished."""
    try:
        job = job_selectors.job_get(realm=realm, pk=job)
    except Job.DoesNotExist as exc:
        raise Http404("Job not found") from exc
    context = common.context(
        request,
        realm,
        job=job,
        policy=job_selectors.policy_by_name_or_none(realm=realm, name=job.policy_name),
        results=job_selectors.job_results(job=job, max_results=JOB_RESULTS),
        job_url=_job_url(realm, job),
    )
    return render_page(request, "policies/job.html", context, partial="job-progress")

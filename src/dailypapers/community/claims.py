"""Authorship claims: a reader claims a paper as one of its authors; a moderator confirms it, or it is
confirmed at once when the reader's confirmed email appears in the paper's metadata (its comments,
journal reference or submitter fields) or is at the domain an administrator set for the paper's
organisation. Confirmed claims make the reader's profile page (web: /users/<name>/papers)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from dailypapers import ratelimit
from dailypapers.community.models import AuthorClaim, Profile
from dailypapers.notify import models as notify_models
from dailypapers.notify.events import notify
from dailypapers.notify.models import Organization
from dailypapers.search.text import normalize_name
from dailypapers.store.models import DailyEntry, Paper
from dailypapers.store.visibility import shown_papers


def _confirmed_email(user) -> str:
    confirmed = Profile.objects.filter(user=user, email_confirmed=True).exists()
    return (user.email or "").strip().lower() if confirmed else ""


def auto_method(user, paper: Paper) -> str:
    """ "email", "domain", or "" when only a moderator can confirm the claim."""
    email = _confirmed_email(user)
    if not email or "@" not in email:
        return ""
    metadata = " ".join([paper.comments, paper.journal_ref, paper.submitter, paper.doi]).lower()
    if email in metadata:
        return AuthorClaim.EMAIL
    domain = email.rsplit("@", 1)[1]
    org_names = [
        info.get("name")
        for info in DailyEntry.objects.filter(paper=paper, organization_info__isnull=False).values_list(
            "organization_info", flat=True
        )
        if isinstance(info, dict)
    ]
    domains = Organization.objects.filter(name__in=[n for n in org_names if n]).exclude(domain="")
    for org_domain in domains.values_list("domain", flat=True):
        org_domain = org_domain.strip().lower().lstrip("@")
        if domain == org_domain or domain.endswith("." + org_domain):
            return AuthorClaim.DOMAIN
    return ""


def claim(user, paper: Paper, author_name: str) -> AuthorClaim:
    """Claim to be ``author_name`` on ``paper`` (one of its listed authors); confirmed at once when the rule allows."""
    wanted = normalize_name(author_name or "")
    names = {normalize_name(str(n)): str(n) for n in paper.authors or []}
    if not wanted or wanted not in names:
        raise ValidationError("Choose one of the paper's authors to claim.")
    ratelimit.limit_write(user)
    method = auto_method(user, paper)
    try:
        with transaction.atomic():
            made = AuthorClaim.objects.create(user=user, paper=paper, author_name=names[wanted])
    except IntegrityError:
        raise ValidationError("You have already claimed this paper.") from None
    if method:
        _decide(made, AuthorClaim.CONFIRMED, method, None)
    return made


def decide(moderator, claim: AuthorClaim, confirmed: bool) -> AuthorClaim:
    if not moderator.has_perm("community.moderate"):
        raise PermissionDenied("Only moderators can confirm or reject claims.")
    return _decide(
        claim, AuthorClaim.CONFIRMED if confirmed else AuthorClaim.REJECTED, AuthorClaim.MODERATOR, moderator
    )


def _decide(claim: AuthorClaim, status: str, method: str, moderator) -> AuthorClaim:
    with transaction.atomic():
        claim.status, claim.method, claim.decided_at, claim.decided_by = status, method, timezone.now(), moderator
        claim.save(update_fields=["status", "method", "decided_at", "decided_by"])
        verb = "confirmed" if status == AuthorClaim.CONFIRMED else "not confirmed"
        notify(
            claim.user,
            notify_models.CLAIM,
            text=f"Your authorship claim on {claim.paper.title[:200]} was {verb}.",
            url=reverse("web:claimed", args=[claim.user.get_username()]),
            key=f"claim:{claim.pk}:{status}",
        )
    return claim


def confirmed_papers(user):
    """The reader's confirmed papers, newest first (their profile page)."""
    return (
        shown_papers()
        .filter(author_claims__user=user, author_claims__status=AuthorClaim.CONFIRMED)
        .order_by("-announced", "-pk")
    )


def claims_of(user):
    return AuthorClaim.objects.filter(user=user).select_related("paper").order_by("-created_at")

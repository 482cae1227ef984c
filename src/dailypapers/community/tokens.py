"""Per-user API tokens: shown once at creation, stored as SHA-256; TokenAuth checks them on each API call."""

from __future__ import annotations

import hashlib
import secrets

from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from dailypapers import ratelimit
from dailypapers.community.models import ApiToken

PREFIX = "dp_"


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create(user, name: str) -> tuple[ApiToken, str]:
    raw = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name[:100] or "token", digest=_digest(raw), prefix=raw[:8])
    return token, raw


def user_for(raw: str):
    """The active user a raw token belongs to, or None."""
    token = ApiToken.objects.select_related("user").filter(digest=_digest(raw or "")).first()
    if token is None or not token.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user


def revoke_all(user) -> int:
    """Delete every API token of ``user`` (their password changed); return how many."""
    deleted, _ = ApiToken.objects.filter(user=user).delete()
    return deleted


class TokenAuth(HttpBearer):
    """``Authorization: Bearer <token>`` on the JSON API (the site's routes and the library's alike)."""

    def authenticate(self, request: HttpRequest, token: str):
        user = user_for(token)
        if user is None:  # a wrong token counts as a failed login from this address
            ratelimit.limit_login(request, None)
        return user

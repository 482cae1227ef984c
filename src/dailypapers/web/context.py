"""Template context every page gets."""

from __future__ import annotations

from django.http import HttpRequest


def site(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    return {"can_moderate": bool(user and user.is_authenticated and user.has_perm("web.moderate"))}

"""Groups and who is in them: create, find (404 for outsiders), invite, join, roles, leave.

Every read takes the reader and answers Group.DoesNotExist for a private group they are not in,
so the pages and the API turn it into the same 404 a missing group gives.
"""

from __future__ import annotations

import secrets

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.text import slugify

from dailypapers.digest import outbox
from dailypapers.groups import hooks
from dailypapers.groups.models import Group, Invitation, Membership

MAX_NAME = 100
RESERVED = {"new", "join", "calendar"}  # the words of groups/urls.py's own routes


def _token() -> str:
    return secrets.token_urlsafe(24)


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError("A group needs a name.")
    if len(name) > MAX_NAME:
        raise ValidationError(f"A group name can have at most {MAX_NAME} characters.")
    return name


def _slug_for(name: str) -> str:
    base = slugify(name, allow_unicode=True)[:100] or "group"
    slug, n = base, 1
    while slug in RESERVED or Group.objects.filter(slug=slug).exists():
        n += 1
        slug = f"{base}-{n}"
    return slug


def create(user, name: str, description: str = "", private: bool = True) -> Group:
    """A new group with ``user`` as its first owner."""
    name = _clean_name(name)
    if Group.objects.filter(name__iexact=name).exists():
        raise ValidationError(f"A group named “{name}” exists already.")
    try:
        with transaction.atomic():
            group = Group.objects.create(
                name=name,
                slug=_slug_for(name),
                description=(description or "").strip()[:5000],
                private=private,
                calendar_token=_token(),
                created_by=user,
            )
            Membership.objects.create(group=group, user=user, role=Membership.OWNER)
    except IntegrityError:
        raise ValidationError(f"A group named “{name}” exists already.") from None
    return group


def member_of(user) -> QuerySet[Group]:
    """The groups ``user`` belongs to, each with its member count."""
    if not user.is_authenticated:
        return Group.objects.none()
    return Group.objects.filter(memberships__user=user).annotate(size=Count("memberships", distinct=True))


def visible(user) -> QuerySet[Group]:
    """Public groups, and the private ones ``user`` is in."""
    if not user.is_authenticated:
        return Group.objects.filter(private=False)
    mine = Membership.objects.filter(group=OuterRef("pk"), user=user)
    return Group.objects.filter(Q(private=False) | Q(Exists(mine)))


def role_of(user, group: Group) -> str | None:
    if not user.is_authenticated:
        return None
    return Membership.objects.filter(group=group, user=user).values_list("role", flat=True).first()


def find(user, slug: str) -> tuple[Group, str | None]:
    """The group and the reader's role in it (None: not a member); DoesNotExist for a private
    group the reader is not in, as for no group at all."""
    group = Group.objects.get(slug=slug)
    role = role_of(user, group)
    if group.private and role is None:
        raise Group.DoesNotExist
    return group, role


def for_member(user, slug: str) -> tuple[Group, str]:
    """Like find(), for what only members may see or do (notes, adding papers, meetings)."""
    group, role = find(user, slug)
    if role is None:
        raise Group.DoesNotExist
    return group, role


def for_owner(user, slug: str) -> Group:
    group, role = for_member(user, slug)
    if role != Membership.OWNER:
        raise PermissionDenied("Only the group's owners may do that.")
    return group


def members(group: Group) -> QuerySet[Membership]:
    return Membership.objects.filter(group=group).select_related("user").order_by("joined_at", "id")


def update(user, slug: str, *, description: str | None = None, private: bool | None = None, digest: str | None = None):
    group = for_owner(user, slug)
    if digest is not None and digest not in ("", "daily", "weekly"):
        raise ValidationError("The group digest is daily, weekly or off.")
    fields = []
    for field, value in (("description", description), ("private", private), ("digest", digest)):
        if value is not None:
            setattr(group, field, value.strip()[:5000] if isinstance(value, str) and field == "description" else value)
            fields.append(field)
    if fields:
        group.save(update_fields=fields)
    return group


def invite_link(user, slug: str) -> Invitation:
    """The group's current invitation link (one made on first use): anyone holding it may join."""
    group = for_owner(user, slug)
    with transaction.atomic():
        found = Invitation.objects.filter(group=group, email="", revoked=False).first()
        if found is not None:
            return found
        invitation = Invitation.objects.create(group=group, token=_token(), invited_by=user)
        hooks.fire(hooks.member_invited, invitation)
    return invitation


def revoke_link(user, slug: str) -> int:
    group = for_owner(user, slug)
    return Invitation.objects.filter(group=group, email="", revoked=False).update(revoked=True)


def invite_email(user, slug: str, email: str, join_url) -> tuple[Invitation, str]:
    """Invite one address: a single-use link mailed through the outbox. Returns the invitation and
    what the mail did ('sent', 'queued', 'kept' or 'failed'); ``join_url(token)`` makes the link."""
    group = for_owner(user, slug)
    email = (email or "").strip()
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError(f"“{email[:200]}” is not an email address.") from None
    if Membership.objects.filter(group=group, user__email__iexact=email).exists():
        raise ValidationError(f"{email} is in “{group.name}” already.")
    with transaction.atomic():
        invitation = Invitation.objects.create(group=group, token=_token(), email=email, invited_by=user)
        mail = outbox.enqueue(
            outbox.compose(
                email,
                f"{user.username} invites you to “{group.name}” on dailypapers",
                "groups/email/invitation",
                {"group": group, "inviter": user.username, "url": join_url(invitation.token)},
            ),
            kind="group-invitation",
        )
        hooks.fire(hooks.member_invited, invitation)
    return invitation, outbox.send_now(mail)


def invitation(token: str) -> Invitation:
    """A usable invitation by its token (DoesNotExist for an unknown, used or revoked one)."""
    return Invitation.objects.select_related("group").get(token=token, revoked=False, used_at__isnull=True)


def join(user, token: str) -> Group:
    """Accept an invitation: ``user`` becomes a member (an email invitation is then used up)."""
    with transaction.atomic():
        found = (
            Invitation.objects.select_for_update()
            .select_related("group")
            .get(token=token, revoked=False, used_at__isnull=True)
        )
        Membership.objects.get_or_create(group=found.group, user=user, defaults={"role": Membership.MEMBER})
        if found.email:
            Invitation.objects.filter(pk=found.pk).update(used_at=timezone.now())
    return found.group


def set_role(user, slug: str, member_id: int, role: str) -> Membership:
    group = for_owner(user, slug)
    if role not in (Membership.OWNER, Membership.MEMBER):
        raise ValidationError("A role is owner or member.")
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(group=group, user_id=member_id)
        if role == Membership.MEMBER and membership.role == Membership.OWNER and _owners(group) == 1:
            raise ValidationError("A group keeps at least one owner.")
        membership.role = role
        membership.save(update_fields=["role"])
    return membership


def _owners(group: Group) -> int:
    return Membership.objects.filter(group=group, role=Membership.OWNER).count()


def remove(user, slug: str, member_id: int) -> None:
    """An owner removes a member, or a member leaves (``member_id`` their own)."""
    group, role = for_member(user, slug)
    if member_id != user.pk and role != Membership.OWNER:
        raise PermissionDenied("Only the group's owners may remove members.")
    with transaction.atomic():
        membership = Membership.objects.select_for_update().get(group=group, user_id=member_id)
        if membership.role == Membership.OWNER and _owners(group) == 1:
            raise ValidationError("The last owner cannot leave: make someone else an owner first, or delete the group.")
        membership.delete()


def delete(user, slug: str) -> str:
    group = for_owner(user, slug)
    name = group.name
    group.delete()
    return name

"""Sign-up with email confirmation, email change, account deletion, bans.

Confirmation links carry a token from a generator that hashes the user's active flag and
email, so a link stops working once used (or once the address changes).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from dailypapers.web.services.community_stats import refresh_papers
from dailypapers.web.models import Profile, Vote
from dailypapers.web.services import comments as comment_service

User = get_user_model()
_EMAIL_CHANGE_SALT = "dailypapers.email-change"
EMAIL_CHANGE_MAX_AGE = 3 * 24 * 3600


class _ConfirmTokens(PasswordResetTokenGenerator):
    key_salt = "dailypapers.confirm-email"

    def _make_hash_value(self, user, timestamp: int) -> str:
        return f"{user.pk}{user.is_active}{user.email}{timestamp}"


confirm_tokens = _ConfirmTokens()


def profile(user) -> Profile:
    return Profile.objects.get_or_create(user=user)[0]


def email_taken(email: str, exclude_user_id: int | None = None) -> bool:
    return User.objects.filter(email__iexact=email).exclude(pk=exclude_user_id).exists()


def sign_up(username: str, email: str, password: str) -> User:
    """Create an inactive account and mail its confirmation link."""
    if email_taken(email):
        raise ValidationError("An account with this email address already exists.")
    with transaction.atomic():
        user = User.objects.create_user(username=username, email=email, password=password, is_active=False)
        Profile.objects.create(user=user)
    send_confirmation(user)
    return user


def send_confirmation(user) -> None:
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = settings.BASE_URL + reverse("web:confirm", args=[uid, confirm_tokens.make_token(user)])
    send_mail("Confirm your dailypapers account",
              f"Hello {user.username},\n\nconfirm your email address to activate your account:\n\n{link}\n\n"
              "If you did not sign up, ignore this message.\n",
              None, [user.email])


def confirm(uidb64: str, token: str) -> User | None:
    """Activate the account the link names; None when the link is wrong, used or the user is banned."""
    try:
        user = User.objects.get(pk=force_str(urlsafe_base64_decode(uidb64)))
    except (User.DoesNotExist, ValueError, TypeError, OverflowError):
        return None
    if user.is_active or not confirm_tokens.check_token(user, token) or profile(user).banned:
        return None
    user.is_active = True
    user.save(update_fields=["is_active"])
    Profile.objects.filter(user=user).update(email_confirmed=True)
    return user


def request_email_change(user, new_email: str) -> None:
    """Mail a signed link to the new address; the change happens when it is opened."""
    if email_taken(new_email, exclude_user_id=user.pk):
        raise ValidationError("An account with this email address already exists.")
    token = signing.dumps({"u": user.pk, "e": new_email}, salt=_EMAIL_CHANGE_SALT)
    link = settings.BASE_URL + reverse("web:email_confirm", args=[token])
    send_mail("Confirm your new email address",
              f"Hello {user.username},\n\nopen this link to make {new_email} your dailypapers address:\n\n{link}\n",
              None, [new_email])


def confirm_email_change(user, token: str) -> bool:
    try:
        data = signing.loads(token, salt=_EMAIL_CHANGE_SALT, max_age=EMAIL_CHANGE_MAX_AGE)
    except signing.BadSignature:
        return False
    if data.get("u") != user.pk or email_taken(data["e"], exclude_user_id=user.pk):
        return False
    user.email = data["e"]
    user.save(update_fields=["email"])
    return True


def delete_account(user) -> None:
    """Remove the account: its votes go (scores recomputed), its comments are erased."""
    with transaction.atomic():
        voted = list(Vote.objects.filter(user=user).values_list("paper_id", flat=True))
        Vote.objects.filter(user=user).delete()
        comment_service.erase_all_by(user)
        user.delete()
        refresh_papers(voted)


def ban(user, reason: str = "") -> None:
    """Ban: the account becomes inactive (logged out everywhere, cannot log in or confirm again)."""
    with transaction.atomic():
        Profile.objects.update_or_create(user=user, defaults={"banned": True, "banned_reason": reason})
        User.objects.filter(pk=user.pk).update(is_active=False)

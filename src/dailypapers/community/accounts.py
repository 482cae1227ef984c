"""Sign-up with email confirmation, email change, account deletion, bans.

Confirmation links carry a token from a generator that hashes the user's active flag and
email, so a link stops working once used (or once the address changes).

Every mail goes through the outbox (digest/outbox.py): it is stored in the same
transaction as the account or request it is about and sent right after, or later by the
worker when the SMTP server does not answer, so no account is left without its mail.
Functions that mail return the outbox's word for what happened: "sent" or "queued".
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes, force_str
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from dailypapers.community import comments as comment_service
from dailypapers.community.community_stats import refresh_papers
from dailypapers.community.models import Profile, Vote
from dailypapers.digest import outbox

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


def sign_up(username: str, email: str, password: str) -> tuple[User | None, str]:
    """Create an inactive account with its confirmation mail; (user, what the outbox did: "sent", "queued", "failed").

    When the address already has an account, nothing is created and the mail tells its owner
    so (user None): the page answers the same either way, so sign-up does not reveal which
    addresses are registered.
    """
    if email_taken(email):
        return None, _mail_address_in_use(email, "sign up for a new account")
    with transaction.atomic():
        user = User.objects.create_user(username=username, email=email, password=password, is_active=False)
        Profile.objects.create(user=user)
        mail = outbox.enqueue(confirmation_mail(user), kind="confirm-account", user=user)
    return user, outbox.send_now(mail)


def confirmation_mail(user):
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    link = settings.BASE_URL + reverse("web:confirm", args=[uid, confirm_tokens.make_token(user)])
    return outbox.compose(
        user.email,
        "Confirm your dailypapers account",
        "web/email/confirm_account",
        {"username": user.get_username(), "url": link},
    )


def is_unconfirmed(user) -> bool:
    """Signed up, never confirmed, not banned: the one kind of inactive account a new link may activate."""
    return not user.is_active and not profile(user).email_confirmed and not profile(user).banned


def resend_confirmation(email: str) -> str | None:
    """Mail a new link to the unconfirmed account with this address; None when there is none.

    The caller answers the same either way, so the page tells strangers nothing.
    """
    user = User.objects.filter(email__iexact=email.strip(), is_active=False).order_by("pk").first()
    if user is None or not is_unconfirmed(user):
        return None
    mail = outbox.enqueue(confirmation_mail(user), kind="confirm-account", user=user)
    return outbox.send_now(mail)


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


def _mail_address_in_use(email: str, attempt: str) -> str:
    message = outbox.compose(
        email,
        "Your email address is already registered",
        "web/email/address_in_use",
        {
            "attempt": attempt,
            "login_url": settings.BASE_URL + reverse("web:login"),
            "reset_url": settings.BASE_URL + reverse("web:password_reset"),
        },
    )
    return outbox.send_now(outbox.enqueue(message, kind="address-in-use"))


def request_email_change(user, new_email: str) -> str:
    """Mail a signed link to the new address; the change happens when it is opened.

    An address that belongs to another account gets a notice instead, and the page says the
    same as for a free address (no way to probe which addresses are registered).
    """
    if email_taken(new_email, exclude_user_id=user.pk):
        return _mail_address_in_use(new_email, "move another account to")
    token = signing.dumps({"u": user.pk, "e": new_email}, salt=_EMAIL_CHANGE_SALT)
    link = settings.BASE_URL + reverse("web:email_confirm", args=[token])
    message = outbox.compose(
        new_email,
        "Confirm your new email address",
        "web/email/email_change",
        {"username": user.get_username(), "new_email": new_email, "url": link},
    )
    return outbox.send_now(outbox.enqueue(message, kind="email-change", user=user))


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

"""Account forms."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import (
    AuthenticationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
    UserCreationForm,
)
from django.core.exceptions import ValidationError
from django.urls import reverse

from dailypapers import ratelimit
from dailypapers.community import accounts, tokens
from dailypapers.digest import outbox
from dailypapers.library import interests

User = get_user_model()


class SignUpForm(UserCreationForm):
    email = forms.EmailField(required=True, help_text="We send a confirmation link here.")
    # Optional interests, for recommendations before the reader has voted or saved anything.
    interest_categories = forms.CharField(
        label="Interests: categories",
        required=False,
        max_length=1000,
        help_text="Optional: arXiv categories you follow, like cs.LG, stat.ML.",
    )
    interest_keywords = forms.CharField(
        label="Interests: keywords",
        required=False,
        max_length=2000,
        help_text="Optional: words or phrases, separated by commas, like diffusion, program synthesis.",
    )

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def clean_email(self) -> str:
        # A taken address is not an error here: sign_up mails its owner instead (no enumeration).
        return self.cleaned_data["email"].strip()

    def clean(self):
        data = super().clean()
        try:
            data["interest_categories"], data["interest_keywords"] = interests.clean_interests(
                data.get("interest_categories", ""), data.get("interest_keywords", "")
            )
        except ValidationError as exc:
            self.add_error("interest_categories", exc)
        return data


class PasswordCheckForm(forms.Form):
    password = forms.CharField(
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}), label="Your current password"
    )

    def __init__(self, user, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        # A password check like a login's, so a stolen session cannot guess the password here.
        ratelimit.limit_login(None, self.user.get_username())
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password


class EmailChangeForm(PasswordCheckForm):
    email = forms.EmailField(label="New email address")


class RevokingSetPasswordForm(SetPasswordForm):
    """Django's reset form; a new password also revokes every API token (one may have leaked with the old password)."""

    def save(self, commit=True):
        user = super().save(commit)
        if commit:
            tokens.revoke_all(user)
        return user


class LimitedPasswordChangeForm(PasswordChangeForm):
    """Django's form, with the old-password check counted against DAILYPAPERS_LOGIN_RATE; a new
    password revokes every API token, as a reset does."""

    def clean_old_password(self):
        ratelimit.limit_login(None, self.user.get_username())
        return super().clean_old_password()

    def save(self, commit=True):
        user = super().save(commit)
        if commit:
            tokens.revoke_all(user)
        return user


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="Token name")


class LoginForm(AuthenticationForm):
    """Django's login form, plus one answer for an account that is not confirmed yet.

    That answer comes only after the right password, so it tells a stranger nothing about
    which accounts exist; everyone else gets Django's usual message.
    """

    unconfirmed_user = None
    error_messages = {
        **AuthenticationForm.error_messages,
        "unconfirmed": "Your email address is not confirmed yet. Open the link we mailed to %(email)s, "
        "or have a new one sent below.",
        "banned": "This account has been suspended by a moderator.",
    }

    def clean(self):
        try:
            return super().clean()
        except forms.ValidationError as exc:
            if exc.code != "invalid_login":
                raise
            user = User.objects.filter(**{User.USERNAME_FIELD: self.cleaned_data.get("username")}).first()
            if user is None or user.is_active or not user.check_password(self.cleaned_data.get("password") or ""):
                raise
            if accounts.profile(user).banned:
                raise forms.ValidationError(self.error_messages["banned"], code="banned") from None
            self.unconfirmed_user = user
            raise forms.ValidationError(
                self.error_messages["unconfirmed"], code="unconfirmed", params={"email": user.email}
            ) from None


class ResendConfirmationForm(forms.Form):
    email = forms.EmailField(max_length=254, label="Your email address")


class OutboxPasswordResetForm(PasswordResetForm):
    """Reset links go through the outbox (HTML + text); an unconfirmed account gets its confirmation
    link instead, since confirming is what it lacks (Django's form skips inactive accounts)."""

    def send_mail(
        self, subject_template_name, email_template_name, context, from_email, to_email, html_email_template_name=None
    ):
        user = context["user"]
        url = settings.BASE_URL + reverse(
            "web:password_reset_confirm", kwargs={"uidb64": context["uid"], "token": context["token"]}
        )
        message = outbox.compose(
            to_email,
            "Reset your dailypapers password",
            "web/email/password_reset",
            {"username": user.get_username(), "url": url},
        )
        outbox.send_now(outbox.enqueue(message, kind="password-reset", user=user))

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        accounts.resend_confirmation(self.cleaned_data["email"])

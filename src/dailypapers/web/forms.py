"""Account forms."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import PasswordChangeForm, UserCreationForm

from dailypapers.web.services import ratelimit


class SignUpForm(UserCreationForm):
    email = forms.EmailField(required=True, help_text="We send a confirmation link here.")

    class Meta(UserCreationForm.Meta):
        model = get_user_model()
        fields = ("username", "email")

    def clean_email(self) -> str:
        # A taken address is not an error here: sign_up mails its owner instead (no enumeration).
        return self.cleaned_data["email"].strip()


class PasswordCheckForm(forms.Form):
    password = forms.CharField(widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
                               label="Your current password")

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


class LimitedPasswordChangeForm(PasswordChangeForm):
    """Django's form, with the old-password check counted against DAILYPAPERS_LOGIN_RATE."""

    def clean_old_password(self):
        ratelimit.limit_login(None, self.user.get_username())
        return super().clean_old_password()


class TokenForm(forms.Form):
    name = forms.CharField(max_length=100, label="Token name")

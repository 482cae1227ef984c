"""Sign-up, confirmation, login (rate-limited), email change, API tokens, account deletion."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from dailypapers import ratelimit
from dailypapers.community import accounts, submissions, tokens
from dailypapers.community.models import ApiToken
from dailypapers.digest import periods, schedule, sender, subscriptions
from dailypapers.digest.forms import PreferencesForm
from dailypapers.digest.models import Subscriber
from dailypapers.library import interests
from dailypapers.store import listing_days
from dailypapers.web.forms import (
    EmailChangeForm,
    LimitedPasswordChangeForm,
    LoginForm,
    OutboxPasswordResetForm,
    PasswordCheckForm,
    ResendConfirmationForm,
    RevokingSetPasswordForm,
    SignUpForm,
    TokenForm,
)
from dailypapers.web.views import pending


class LoginView(auth_views.LoginView):
    """Each attempt is counted by the authentication backend (web/limits.py), as on /admin/login/."""

    template_name = "web/accounts/login.html"
    redirect_authenticated_user = True
    form_class = LoginForm

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(pending.draft_context(self.request))
        return context

    def form_valid(self, form):
        response = super().form_valid(form)  # login() keeps session data across its new key
        pending.keep_comment_draft(self.request)  # a comment written before logging in (views.pending)
        return response


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """The answer to a valid form is always "check your email": whether the address already
    has an account is said only in the mail sent to it (usernames are public, so a taken
    one is still named on the form)."""
    form = SignUpForm(request.POST or None)
    if request.method == "POST":
        ratelimit.limit_signup(request)
        if form.is_valid():
            ratelimit.limit_mail(request, form.cleaned_data["email"])
            user, mailed = accounts.sign_up(
                form.cleaned_data["username"], form.cleaned_data["email"], form.cleaned_data["password1"]
            )
            if user is not None and (
                form.cleaned_data["interest_categories"] or form.cleaned_data["interest_keywords"]
            ):
                interests.keep_interests(
                    user, form.cleaned_data["interest_categories"], form.cleaned_data["interest_keywords"]
                )
            return render(
                request, "web/accounts/check_email.html", {"email": form.cleaned_data["email"], "mailed": mailed}
            )
    return render(request, "web/accounts/signup.html", {"form": form}, status=400 if form.errors else 200)


@require_http_methods(["GET", "POST"])
def resend_confirmation(request: HttpRequest) -> HttpResponse:
    """A new confirmation link, by address; the answer is the same whether an account matches."""
    form = ResendConfirmationForm(request.POST or None, initial={"email": request.GET.get("email", "")})
    if request.method == "POST":
        # The one limiter for mail-sending requests (per client address and per address mailed).
        ratelimit.limit_mail(request, request.POST.get("email"))
        if form.is_valid():
            accounts.resend_confirmation(form.cleaned_data["email"])
            return render(request, "web/accounts/resend_done.html", {"email": form.cleaned_data["email"]})
    return render(request, "web/accounts/resend.html", {"form": form}, status=400 if form.errors else 200)


@never_cache
def confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    # GET that activates: the one state change a mail link can make; the token is single-use.
    user = accounts.confirm(uidb64, token)
    if user is None:
        return render(
            request,
            "web/error.html",
            {"title": "Link not valid", "message": "This confirmation link is wrong, expired or already used."},
            status=400,
        )
    messages.success(request, "Your email address is confirmed. You can log in now.")
    return redirect("web:login")


def _account_context(request: HttpRequest, **forms) -> dict:
    subscriber = subscriptions.of_user(request.user)
    digest_form = PreferencesForm.for_subscriber(subscriber) if subscriber is not None else PreferencesForm()
    return {
        "email_form": EmailChangeForm(request.user),
        "token_form": TokenForm(),
        "tokens": ApiToken.objects.filter(user=request.user).order_by("-created_at"),
        "delete_form": PasswordCheckForm(request.user),
        "subscriber": subscriber,
        "digest_active": subscriber is not None and subscriber.status == Subscriber.ACTIVE,
        "digest_form": digest_form,
        "waiting_submissions": submissions.of_user(request.user),
        **forms,
    }


@never_cache  # private: no shared or browser cache may keep it
@login_required
def account(request: HttpRequest) -> HttpResponse:
    return render(request, "web/accounts/account.html", _account_context(request))


@login_required
@require_POST
def account_digest(request: HttpRequest) -> HttpResponse:
    """Subscribe, change the digest, or stop it, from the account page (the address is confirmed)."""
    if request.POST.get("action") == "unsubscribe":
        subscriber = subscriptions.of_user(request.user)
        if subscriber is not None:
            subscriptions.unsubscribe(subscriber)
        messages.info(request, "You will receive no more digests.")
        return redirect("web:account")
    form = PreferencesForm(request.POST)
    if not form.is_valid():
        return render(request, "web/accounts/account.html", _account_context(request, digest_form=form), status=400)
    subscriber = subscriptions.subscribe_account(request.user, form.choices())
    messages.success(request, f"Saved: {subscriber.email} receives {subscriber.frequency} digests.")
    return redirect("web:account")


@never_cache  # private: no shared or browser cache may keep it
@login_required
def digest_preview(request: HttpRequest) -> HttpResponse:
    """The digest this reader would get now, as the mail's text; without a mail server the only way
    to see it. When the latest due period holds nothing (old data), the newest list's period is shown."""
    subscriber = subscriptions.of_user(request.user)
    if subscriber is None:
        messages.info(request, "Choose a digest first; then you can preview it.")
        return redirect(reverse("web:account") + "#digest")
    window = settings.CONFIG["DAILYPAPERS_DIGEST_WINDOW_DAYS"]
    plan = schedule.Schedule.from_config(settings.CONFIG)
    period = schedule.latest_due(timezone.now(), plan, subscriber.frequency)[1]
    message = sender.preview(subscriber, period, window)
    newest = listing_days.last_listing_day()
    if message is None and newest is not None:
        period = (periods.daily if subscriber.frequency == "daily" else periods.weekly)(newest)
        message = sender.preview(subscriber, period, window)
    return render(
        request,
        "web/accounts/digest_preview.html",
        {"subscriber": subscriber, "period": period, "message": message, "newest": newest},
    )


@never_cache  # private: no shared or browser cache may keep it
@login_required
@require_POST
def email_change(request: HttpRequest) -> HttpResponse:
    form = EmailChangeForm(request.user, request.POST)
    if form.is_valid():
        ratelimit.limit_mail(request, form.cleaned_data["email"], user=request.user)
        mailed = accounts.request_email_change(request.user, form.cleaned_data["email"])
        if mailed == "sent":
            messages.info(request, f"We sent a confirmation link to {form.cleaned_data['email']}.")
        elif mailed == "kept":
            messages.warning(
                request,
                f"This site has no mail server configured, so the confirmation link for {form.cleaned_data['email']} "
                "was not sent: it is kept in the site's outbox (admin: Outbox mails) and printed in the terminal "
                "where the site runs (make run).",
            )
        else:
            messages.warning(
                request,
                f"Our mail server did not answer just now; the confirmation link for "
                f"{form.cleaned_data['email']} will be sent within minutes.",
            )
        return redirect("web:account")
    return render(request, "web/accounts/account.html", _account_context(request, email_form=form), status=400)


@login_required
def email_confirm(request: HttpRequest, token: str) -> HttpResponse:
    if accounts.confirm_email_change(request.user, token):
        messages.success(request, f"Your email address is now {request.user.email}.")
    else:
        messages.error(request, "This email change link is wrong or expired.")
    return redirect("web:account")


@never_cache  # private: no shared or browser cache may keep it
@login_required
@require_POST
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Give the token a name.")
        return redirect("web:account")
    _, raw = tokens.create(request.user, form.cleaned_data["name"])
    return render(request, "web/accounts/token_created.html", {"raw": raw})


@login_required
@require_POST
def token_delete(request: HttpRequest, pk: int) -> HttpResponse:
    ApiToken.objects.filter(pk=pk, user=request.user).delete()
    messages.info(request, "Token revoked.")
    return redirect("web:account")


@login_required
@require_POST
def delete(request: HttpRequest) -> HttpResponse:
    form = PasswordCheckForm(request.user, request.POST)
    if not form.is_valid():
        messages.error(request, "That is not your password; your account was not deleted.")
        return redirect("web:account")
    user = request.user
    logout(request)
    accounts.delete_account(user)
    messages.info(request, "Your account is deleted.")
    return redirect("web:home")


class PasswordResetView(auth_views.PasswordResetView):
    """Each request mails a link, so it is limited per client address and per address mailed
    (against mail-bombing someone's inbox); the answer never says whether an account exists."""

    def post(self, request, *args, **kwargs):
        ratelimit.limit_mail(request, request.POST.get("email"))
        return super().post(request, *args, **kwargs)


password_reset = PasswordResetView.as_view(
    template_name="web/accounts/password_reset.html",
    form_class=OutboxPasswordResetForm,
    success_url=reverse_lazy("web:password_reset_done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(template_name="web/accounts/password_reset_done.html")
password_reset_confirm = never_cache(
    auth_views.PasswordResetConfirmView.as_view(
        template_name="web/accounts/password_reset_confirm.html",
        success_url=reverse_lazy("web:login"),
        form_class=RevokingSetPasswordForm,
    )
)
password_change = auth_views.PasswordChangeView.as_view(
    template_name="web/accounts/password_change.html",
    success_url=reverse_lazy("web:account"),
    form_class=LimitedPasswordChangeForm,
)

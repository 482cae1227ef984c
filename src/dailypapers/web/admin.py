"""Moderation in the Django admin: papers, daily entries, comments, users (with hide and ban actions)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from dailypapers.community import accounts, claims, moderation
from dailypapers.community import comments as comment_service
from dailypapers.community.models import ApiToken, AuthorClaim, Comment, PaperModeration, Profile, Submission
from dailypapers.notify.models import Organization
from dailypapers.store import papers
from dailypapers.store.models import DailyEntry, Paper

User = get_user_model()


@admin.register(Paper)
class PaperAdmin(admin.ModelAdmin):
    list_display = ("arxiv_id", "title", "primary_category", "announced")
    search_fields = ("arxiv_id", "title")
    list_filter = ("primary_category", "hidden", "deleted")
    # Hiding goes through the actions (the reason is kept in PaperModeration).
    readonly_fields = ("change_seq", "sources", "created_at", "hidden")
    actions = ["hide", "unhide"]

    def save_model(self, request, obj, form, change):
        # Through the store, so the edit reaches the change feed (and the search indexes).
        papers.save_paper(obj)

    def has_delete_permission(self, request, obj=None):
        # Papers are never deleted here: arXiv's deletions arrive as "deleted"; moderators hide.
        return False

    @admin.action(description="Hide selected papers from every list")
    def hide(self, request, queryset):
        for paper in queryset:
            moderation.set_paper_hidden(request.user, paper, True, "hidden in the admin")
        messages.info(request, f"{queryset.count()} paper(s) hidden.")

    @admin.action(description="Show selected papers again")
    def unhide(self, request, queryset):
        for paper in queryset:
            moderation.set_paper_hidden(request.user, paper, False)
        messages.info(request, f"{queryset.count()} paper(s) shown again.")


@admin.register(DailyEntry)
class DailyEntryAdmin(admin.ModelAdmin):
    list_display = ("date", "source", "paper", "upvotes", "submitted_by")
    list_filter = ("source",)
    date_hierarchy = "date"
    raw_id_fields = ("paper",)
    search_fields = ("paper__arxiv_id", "submitted_by")


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ("id", "paper", "user", "created_at", "hidden", "deleted")
    list_filter = ("hidden", "deleted")
    raw_id_fields = ("paper", "user", "parent")
    search_fields = ("body", "user__username", "paper__arxiv_id")
    actions = ["hide", "unhide"]

    @admin.action(description="Hide selected comments")
    def hide(self, request, queryset):
        for comment in queryset:
            comment_service.set_hidden(request.user, comment, True)

    @admin.action(description="Unhide selected comments")
    def unhide(self, request, queryset):
        for comment in queryset:
            comment_service.set_hidden(request.user, comment, False)


@admin.register(AuthorClaim)
class AuthorClaimAdmin(admin.ModelAdmin):
    list_display = ("id", "user", "author_name", "paper", "status", "method", "created_at")
    list_filter = ("status", "method")
    raw_id_fields = ("paper", "user", "decided_by")
    search_fields = ("user__username", "author_name", "paper__arxiv_id")
    actions = ["confirm", "reject"]

    @admin.action(description="Confirm selected claims")
    def confirm(self, request, queryset):
        for claim in queryset.select_related("paper", "user"):
            claims.decide(request.user, claim, True)

    @admin.action(description="Reject selected claims")
    def reject(self, request, queryset):
        for claim in queryset.select_related("paper", "user"):
            claims.decide(request.user, claim, False)


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    """Organisations come from Hugging Face's entries; an administrator sets the email domain whose
    confirmed addresses confirm authorship claims on the organisation's papers."""

    list_display = ("name", "fullname", "domain")
    search_fields = ("name", "fullname", "domain")
    readonly_fields = ("name", "fullname", "avatar", "created_at")


@admin.register(PaperModeration)
class PaperModerationAdmin(admin.ModelAdmin):
    list_display = ("paper", "hidden", "reason", "updated_at")
    raw_id_fields = ("paper",)


admin.site.register(Submission, list_display=("date", "paper", "user"), raw_id_fields=("paper", "user"))
admin.site.register(ApiToken, list_display=("user", "name", "prefix", "created_at", "last_used_at"))
admin.site.register(Profile, list_display=("user", "email_confirmed", "banned"))

admin.site.unregister(User)


@admin.register(User)
class ModeratedUserAdmin(UserAdmin):
    actions = ["ban"]

    @admin.action(description="Ban selected users (deactivate; they cannot log in again)")
    def ban(self, request, queryset):
        if not request.user.has_perm("community.moderate"):
            messages.error(request, "Only moderators can ban users.")
            return
        for user in queryset.exclude(pk=request.user.pk):
            accounts.ban(user, f"banned by {request.user.username}")
        messages.info(request, "Banned.")

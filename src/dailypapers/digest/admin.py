"""Moderators can see the site's mail queue: what waits, why, and what was given up."""

from django.contrib import admin

from dailypapers.digest.models import OutboxMail


@admin.register(OutboxMail)
class OutboxMailAdmin(admin.ModelAdmin):
    list_display = ("created_at", "kind", "to", "state", "attempts", "next_attempt_at", "sent_at")
    list_filter = ("state", "kind")
    search_fields = ("to",)
    readonly_fields = [f.name for f in OutboxMail._meta.fields]  # a queue to watch, not to edit

    def has_add_permission(self, request):
        return False

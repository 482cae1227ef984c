"""Administrators see groups with their members, and meetings (to answer "why did I get this mail")."""

from django.contrib import admin

from dailypapers.groups.models import Group, GroupDigest, Meeting, Membership


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Group)
class GroupAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "private", "digest", "created_at")
    list_filter = ("private", "digest")
    search_fields = ("name", "slug")
    exclude = ("calendar_token",)  # the private calendar address stays out of the form
    readonly_fields = ("slug", "created_by", "created_at")
    inlines = [MembershipInline]


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ("group", "starts_at", "paper", "presenter", "reminded_at")
    list_filter = ("group",)
    raw_id_fields = ("paper", "presenter", "created_by")
    readonly_fields = ("reminded_at", "created_at")


@admin.register(GroupDigest)
class GroupDigestAdmin(admin.ModelAdmin):
    list_display = ("group", "period", "recipients", "sent_at")
    readonly_fields = [f.name for f in GroupDigest._meta.fields]  # a record of what went out

    def has_add_permission(self, request):
        return False

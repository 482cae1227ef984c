from django.apps import AppConfig


class GroupsConfig(AppConfig):
    """Labs and reading groups: members, shared collections, a group feed and digest, meetings."""

    name = "dailypapers.groups"
    label = "groups"
    default_auto_field = "django.db.models.BigAutoField"

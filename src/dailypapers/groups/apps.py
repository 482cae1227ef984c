from django.apps import AppConfig


class GroupsConfig(AppConfig):
    """Labs and reading groups: members, shared collections, a group feed and digest, meetings."""

    name = "dailypapers.groups"
    label = "groups"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dailypapers.groups import hooks, notices  # models are ready only now

        if notices.member_invited not in hooks.member_invited:
            hooks.member_invited.append(notices.member_invited)
            hooks.meeting_scheduled.append(notices.meeting_scheduled)

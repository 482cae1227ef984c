from django.apps import AppConfig


class NotifyConfig(AppConfig):
    """Follows (authors, organisations, categories, a paper's discussion), notifications, organisations."""

    name = "dailypapers.notify"
    label = "notify"
    default_auto_field = "django.db.models.BigAutoField"

from django.apps import AppConfig


class DigestConfig(AppConfig):
    name = "dailypapers.digest"
    label = "digest"
    verbose_name = "Email digests"
    default_auto_field = "django.db.models.BigAutoField"

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "dailypapers.web"
    label = "web"
    verbose_name = "Community"
    default_auto_field = "django.db.models.BigAutoField"

from django.apps import AppConfig


class CliConfig(AppConfig):
    name = "dailypapers.cli"
    label = "cli"

from django.apps import AppConfig


class StoreConfig(AppConfig):
    name = "dailypapers.store"
    label = "store"
    verbose_name = "Paper store"

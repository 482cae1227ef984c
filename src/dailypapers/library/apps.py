from django.apps import AppConfig


class LibraryConfig(AppConfig):
    """A reader's own layer: collections, BibTeX, "not interested", read status, interests."""

    name = "dailypapers.library"
    label = "library"
    default_auto_field = "django.db.models.BigAutoField"

from django.apps import AppConfig


class LibraryConfig(AppConfig):
    """A reader's own layer: collections, BibTeX, "not interested", read status, interests."""

    name = "dailypapers.library"
    label = "library"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # The digest's "for you" section asks the library through this hook (digest may not import us).
        from dailypapers.digest import personal
        from dailypapers.library.digest_section import digest_picks

        personal.register(digest_picks)

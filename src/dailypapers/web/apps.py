from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "dailypapers.web"
    label = "web"
    verbose_name = "Community"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from dailypapers.rank.refresh import refresh_papers
        from dailypapers.store.signals import daily_entries_changed

        def refresh_ranking(sender, paper_ids, **kwargs):
            refresh_papers(paper_ids)  # same transaction as the entries: a killed import stays consistent

        daily_entries_changed.connect(refresh_ranking, weak=False, dispatch_uid="dailypapers.rank.refresh")

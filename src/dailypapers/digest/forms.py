"""Subscribe and preferences forms."""

from __future__ import annotations

import re

from django import forms

from dailypapers.digest.models import Subscriber
from dailypapers.digest.subscriptions import MAX_TOP_N, Choices

_CATEGORY = re.compile(r"^[a-z\-]+(\.[A-Za-z\-]+)?$")


class PreferencesForm(forms.Form):
    frequency = forms.ChoiceField(choices=Subscriber.FREQUENCIES, initial=Subscriber.DAILY)
    categories = forms.CharField(
        required=False, max_length=500, help_text="arXiv categories, space separated (e.g. cs.CL cs.LG). Empty: all."
    )
    keywords = forms.CharField(
        required=False,
        max_length=1000,
        help_text="Comma-separated words or phrases; a paper needs one in its title or abstract.",
    )
    excluded_keywords = forms.CharField(
        required=False,
        max_length=1000,
        label="Excluded keywords",
        help_text="Comma-separated; papers mentioning any of these are left out.",
    )
    top_n = forms.IntegerField(min_value=1, max_value=MAX_TOP_N, initial=10, label="Papers per digest")

    def clean_categories(self) -> str:
        names = self.cleaned_data["categories"].replace(",", " ").split()
        bad = [n for n in names if not _CATEGORY.match(n)]
        if bad:
            raise forms.ValidationError(f"Not an arXiv category: {', '.join(bad)}")
        return " ".join(names)

    def choices(self) -> Choices:
        data = self.cleaned_data
        return Choices(
            frequency=data["frequency"],
            categories=data["categories"],
            keywords=data["keywords"],
            excluded_keywords=data["excluded_keywords"],
            top_n=data["top_n"],
        )

    @classmethod
    def for_subscriber(cls, subscriber: Subscriber, data=None) -> PreferencesForm:
        initial = {
            name: getattr(subscriber, name)
            for name in ("frequency", "categories", "keywords", "excluded_keywords", "top_n")
        }
        return cls(data=data, initial=initial)


class SubscribeForm(PreferencesForm):
    """The short include form posts only an email; everything else has its default."""

    email = forms.EmailField(max_length=254)
    field_order = ["email", "frequency", "categories", "keywords", "excluded_keywords", "top_n"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("frequency", "top_n"):
            self.fields[name].required = False

    def clean_frequency(self) -> str:
        return self.cleaned_data.get("frequency") or Subscriber.DAILY

    def clean_top_n(self) -> int:
        return self.cleaned_data.get("top_n") or 10

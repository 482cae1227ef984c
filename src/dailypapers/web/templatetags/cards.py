"""``{% paper_cards cards %}`` and ``{% vote_button card %}``: the markup of web.services.cards.

Written in Python rather than as an included template because the include-per-card version
was most of an uncached list page's cost (see web.services.cards). Every value is escaped
here, with html.escape (what Django's autoescape does; conditional_escape for the search
snippet, which the engine escapes and marks safe), so the output is safe to mark safe.
"""

from __future__ import annotations

from html import escape
from urllib.parse import quote

from django import template
from django.middleware.csrf import get_token
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from dailypapers.web.services.cards import PaperCard, s

register = template.Library()


class _Page:
    """What every card on one page shares: who is looking, the CSRF field, the return address."""

    def __init__(self, context: template.Context):
        request = context.get("request")
        user = context.get("user") or getattr(request, "user", None)
        self.logged_in = bool(user and user.is_authenticated)
        path = request.get_full_path() if request is not None else ""
        if self.logged_in:
            csrf = escape(get_token(request)) if request is not None else ""
            self.vote_head = f'<input type="hidden" name="csrfmiddlewaretoken" value="{csrf}">\n' \
                             f'<input type="hidden" name="next" value="{escape(path)}">\n'
        else:
            # The vote's own URL: GET there asks for the login, then casts the vote by POST (views.community.vote).
            self.login_next = escape(f"?next={quote(path, safe='/')}")

    def vote(self, card: PaperCard) -> str:
        if self.logged_in:
            return (f'<form class="vote" method="post" action="{escape(card.vote_url)}">{self.vote_head}'
                    f'<button type="submit" aria-pressed="{"true" if card.voted else "false"}" title="Vote">\n'
                    f'<span aria-hidden="true">▲</span> <span class="count">{card.total_votes}</span>'
                    f'<span class="visually-hidden"> votes</span></button>\n</form>')
        return (f'<div class="vote"><a class="vote-button" href="{escape(card.vote_url)}{self.login_next}" title="Log in to vote" rel="nofollow">\n'
                f'<span aria-hidden="true">▲</span> <span class="count">{card.total_votes}</span>'
                f'<span class="visually-hidden"> votes (log in to vote)</span></a></div>')

    def card(self, card: PaperCard) -> str:
        url = escape(card.url)
        cats = "".join(f' · <a class="cat" href="?category={escape(enc)}">{escape(name)}</a>'
                       for name, enc in card.categories)
        submitted = "".join(f" · submitted by {escape(name)}" for name in card.submitted_by)
        extra = ""
        if card.snippet:
            extra += f'\n<p class="snippet tex">{conditional_escape(card.snippet)}</p>'
        if card.why:
            extra += f'\n<p class="why">{escape(card.why)}</p>'
        return (
            f'<li class="card" id="p-{escape(card.anchor)}">\n{self.vote(card)}\n<div class="body">\n'
            f'<h2 class="title tex"><a href="{url}">{escape(card.title)}</a></h2>\n'
            f'<p class="meta"><span>{escape(card.authors)}</span>'
            f' · <time datetime="{escape(card.date_iso)}">{escape(card.date_text)}</time>{cats}</p>\n'
            f'<p class="counts"><span class="community-votes">{card.community_votes} vote{s(card.community_votes)} here</span>'
            f' · <span>{card.hf_votes} on Hugging Face</span>'
            f' · <a href="{url}#comments">{card.comments} comment{s(card.comments)}</a>{submitted}</p>'
            f'{extra}\n</div>\n</li>\n'
        )


@register.simple_tag(takes_context=True)
def paper_cards(context: template.Context, cards: list[PaperCard]) -> SafeString:
    page = _Page(context)
    return mark_safe("".join(page.card(card) for card in cards))  # noqa: S308 (escaped above)


@register.simple_tag(takes_context=True)
def vote_button(context: template.Context, card: PaperCard) -> SafeString:
    return mark_safe(_Page(context).vote(card))  # noqa: S308 (escaped above)

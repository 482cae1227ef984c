"""/trends and /trends.json: papers and votes per category and keyword over time (one context, two shapes)."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.safestring import mark_safe

from dailypapers.web.services import svgchart, trends
from dailypapers.web.views.pagecache import anonymous_cache


def _date(request: HttpRequest, name: str) -> dt.date | None:
    value = (request.GET.get(name) or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise trends.TrendsError(f"{name}={value!r} is not a date like 2025-01-31.") from None


def _list(request: HttpRequest, name: str) -> list[str]:
    """Repeated parameters and comma-separated ones alike (the form has one box each)."""
    return [part for value in request.GET.getlist(name) for part in value.split(",") if part.strip()]


def _build(request: HttpRequest) -> trends.Trends:
    return trends.topic_trends(
        request.GET.get("by") or "week",
        _date(request, "from"),
        _date(request, "to"),
        _list(request, "category"),
        _list(request, "keyword"),
    )


@anonymous_cache
def trends_json(request: HttpRequest) -> HttpResponse:
    try:
        return JsonResponse(_build(request).as_json())
    except trends.TrendsError as exc:
        return JsonResponse({"error": str(exc)}, status=400)


@anonymous_cache
def trends_page(request: HttpRequest) -> HttpResponse:
    form = {
        "by": request.GET.get("by") or "week",
        "from": request.GET.get("from", ""),
        "to": request.GET.get("to", ""),
        "category": ", ".join(_list(request, "category")),
        "keyword": ", ".join(_list(request, "keyword")),
    }
    try:
        result = _build(request)
    except trends.TrendsError as exc:
        return render(request, "web/trends.html", {"error": str(exc), "form": form}, status=400)
    labels = result.labels()
    names = [s.name for s in result.series]
    what = ", ".join(names) or "nothing"
    drawn = result.plotted()
    plotted_labels = [labels[i] for i in drawn]
    charts = [
        mark_safe(
            svgchart.line_chart(
                f"Papers per {result.by}: {what}",
                plotted_labels,
                [(s.name, [s.papers[i] for i in drawn]) for s in result.series],
                "papers",
            )
        ),
        mark_safe(
            svgchart.line_chart(
                f"Votes per {result.by}: {what}",
                plotted_labels,
                [(s.name, [s.votes[i] for i in drawn]) for s in result.series],
                "votes",
            )
        ),
    ]
    rows = [(label, [(s.papers[i], s.votes[i]) for s in result.series]) for i, label in enumerate(labels)]
    return render(
        request,
        "web/trends.html",
        {
            "trends": result,
            "charts": charts,
            "partial": result.partial(),
            "left_out": [label for i, label in enumerate(labels) if i not in drawn],
            "legend": svgchart.legend(names),
            "rows": rows,
            "form": form,
            "json_url": request.get_full_path().replace("/trends", "/trends.json", 1),
        },
    )

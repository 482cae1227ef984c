"""A paper never featured on Hugging Face says nothing about Hugging Face upvotes (it said
"0 upvotes on Hugging Face"); a featured one keeps its count, zero included."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dailypapers.search.indexer import catch_up
from dailypapers.store.upsert import write_batch
from tests.web_fixtures import feature, paper_record

pytestmark = pytest.mark.django_db


def test_papers_never_on_hugging_face_show_no_hugging_face_count(client, no_page_cache):  # noqa: F811
    listed = paper_record(title="Listed on arXiv only, about sparse kernels")
    write_batch([listed], fetched_at=timezone.now())
    featured = feature(dt.date(2025, 1, 3), 1, upvotes=0, title="Featured with no upvotes, about sparse kernels")[0]
    catch_up(wait=True)
    assert "on Hugging Face" not in client.get(f"/papers/{listed.arxiv_id}").content.decode()
    assert "0 upvotes on Hugging Face" in client.get(f"/papers/{featured.arxiv_id}").content.decode()
    found = client.get("/search?q=sparse+kernels&mode=keyword").content.decode()
    assert found.count('class="hf-votes"') == 1

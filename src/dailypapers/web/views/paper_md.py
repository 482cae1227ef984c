"""``/papers/{id}.md``: a paper page as Markdown, what huggingface_hub's ``read_paper()`` reads.

Plain text/markdown built from the same paper and Hugging Face entry the API describes, so a
terminal (``hf papers read``) or an LLM gets the title, authors, abstract, links and counts.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from dailypapers.lists import hf_lists
from dailypapers.lists.listings import counts


def _line(label: str, value: str | None) -> list[str]:
    return [f"**{label}:** {value}"] if value else []


def paper_markdown(request: HttpRequest, arxiv_id: str) -> HttpResponse:
    paper = hf_lists.find_paper(arxiv_id)
    if paper is None:
        response = HttpResponse(f"No paper {arxiv_id} here.\n", status=404, content_type="text/plain; charset=utf-8")
        response["X-Error-Message"] = "Paper not found"
        return response
    entry = hf_lists.latest_entries([paper.pk]).get(paper.pk)
    community, hf, comments = counts(paper)
    hf_comments = entry.num_comments if entry is not None and entry.source == "hf" else 0
    lines = [f"# {paper.title}", ""]
    lines += _line("Authors", ", ".join(paper.authors))
    lines += _line("arXiv", f"[{paper.arxiv_id}]({paper.abs_url}) ([PDF]({paper.pdf_url}))")
    lines += _line("Published", paper.first_submitted.date().isoformat() if paper.first_submitted else None)
    if entry is not None:
        lines += _line("Featured", entry.date.isoformat())
        lines += _line("Submitted by", entry.submitted_by)
        lines += _line("Organization", entry.organization)
        code = entry.github_repo and (
            entry.github_repo + (f" ({entry.github_stars} stars)" if entry.github_stars is not None else "")
        )
        lines += _line("Code", code)
        lines += _line("Project page", entry.project_page)
    lines += _line("Categories", " ".join(paper.category_list))
    lines.append(f"**Upvotes:** {community + hf} ({hf} on Hugging Face, {community} here)")
    lines.append(f"**Comments:** {hf_comments + comments} ({hf_comments} on Hugging Face, {comments} here)")
    lines += ["", "## Abstract", "", paper.abstract or "(no abstract)"]
    if entry is not None and entry.ai_summary:
        lines += ["", "## AI summary (Hugging Face)", "", entry.ai_summary]
    if entry is not None and entry.ai_keywords:
        lines += ["", "## AI keywords (Hugging Face)", "", ", ".join(entry.ai_keywords)]
    lines.append("")
    return HttpResponse("\n".join(lines), content_type="text/markdown; charset=utf-8")

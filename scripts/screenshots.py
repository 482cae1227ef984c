"""Screenshots of the main pages for docs/screenshots/: light, dark and mobile, from the bundled data.

    .venv/bin/python scripts/screenshots.py [--home DIR] [--out docs/screenshots] [--pages day,paper,...]

Builds a DAILYPAPERS_HOME (or reuses --home) from Hugging Face's daily lists in ../shared/data
(9,881 papers, a few minutes), adds a reader ("reader") with votes, interests and a Reading list, starts
the real server (`dailypapers serve`, DEBUG off) on a free port, and drives Debian's Chromium through
Playwright: each page at 1280x800 in light and dark, and at 390x844 (a phone) in light. The PNGs are
reduced to a 128-colour palette when Pillow is installed (`pip install pillow==13.0.0`), which makes
them about a third of Chromium's size. Thumbnails and avatars are not fetched (no network): cards
show their placeholder.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from _server import free_port, wait_for  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "hf-daily-papers" / "daily_papers_raw.jsonl.gz"
CLI = [sys.executable, "-m", "dailypapers.cli.main"]
CHROMIUM = "/usr/bin/chromium"
PASSWORD = "screenshots only, never deployed"
SIZES = {"light": ({"width": 1280, "height": 800}, "light"), "dark": ({"width": 1280, "height": 800}, "dark"),
         "mobile": ({"width": 390, "height": 844}, "light")}  # fmt: skip

# The reader the logged-in pages show: votes for the newest day's top papers, a Reading list, interests.
SEED = """
import django; django.setup()
from django.contrib.auth import get_user_model
from dailypapers.community import votes
from dailypapers.library import paper_collections
from dailypapers.library.models import Collection, Interests
from dailypapers.store.models import DailyEntry
User = get_user_model()
user, made = User.objects.get_or_create(username="reader", defaults={"email": "reader@example.org"})
user.set_password(%r); user.save()
if made:
    newest = DailyEntry.objects.order_by("-date").values_list("date", flat=True).first()
    entries = list(DailyEntry.objects.filter(date=newest).order_by("-upvotes").select_related("paper")[:12])
    for entry in entries[:4]:
        votes.cast(user, entry.paper, True)
    reading = paper_collections.ensure_default(user)
    for entry in entries[2:10]:
        paper_collections.add(user, reading.pk, entry.paper, "")
    Interests.objects.update_or_create(user=user, defaults={"categories": ["cs.CL", "cs.LG"], "keywords": ["agents"]})
print(Collection.objects.filter(user=user).order_by("position", "pk").values_list("pk", flat=True).first())
"""


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DAILYPAPERS_") and k != "DATABASE_URL"}
    env.update(
        DAILYPAPERS_HOME=str(home),
        DAILYPAPERS_SECRET_KEY="screenshots-" + "0" * 40,
        DAILYPAPERS_DEBUG="0",
        DAILYPAPERS_LOG_LEVEL="ERROR",
        DJANGO_SETTINGS_MODULE="dailypapers.settings",
    )
    return env


def prepare(home: Path, env: dict[str, str]) -> int:
    """Import and score the daily lists once; seed the reader. Returns the reader's Reading list's id."""
    if not (home / "dailypapers.sqlite3").exists():
        subprocess.run([*CLI, "migrate", "-v", "0"], env=env, check=True)
        subprocess.run([*CLI, "import", str(DATA)], env=env, check=True)
        subprocess.run([*CLI, "rank", "--rebuild"], env=env, check=True)
        subprocess.run([*CLI, "index"], env=env, check=True, stdout=subprocess.DEVNULL)
    seeded = subprocess.run(
        [sys.executable, "-c", SEED % PASSWORD], env=env, check=True, capture_output=True, text=True
    )
    return int(seeded.stdout.split()[-1])


def shrink(path: Path) -> None:
    """A 128-colour palette PNG (Pillow), when it is smaller; Chromium's PNG otherwise."""
    try:
        from PIL import Image
    except ImportError:
        return
    with Image.open(path) as image:
        small = image.convert("RGB").quantize(128, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = path.with_suffix(".tmp.png")
    small.save(out, optimize=True)
    if out.stat().st_size < path.stat().st_size:
        out.replace(path)
    else:
        out.unlink()


def shoot(base: str, out: Path, collection: int, only: set[str]) -> list[Path]:
    from playwright.sync_api import sync_playwright

    pages = {
        "day": ("/", False),
        "paper": (None, False),  # the top trending paper, found below
        "search": ("/search?q=speculative+decoding", False),
        "trending": ("/trending", False),
        "for-you": ("/for-you", True),
        "collection": (f"/library/{collection}", True),
    }
    written = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        for size, (viewport, scheme) in SIZES.items():
            context = browser.new_context(viewport=viewport, color_scheme=scheme, device_scale_factor=1)
            page = context.new_page()
            page.goto(f"{base}/trending")
            paper = page.locator("ol.papers h2 a").first.get_attribute("href")
            page.goto(f"{base}/accounts/login")
            page.fill("input[name=username]", "reader")
            page.fill("input[name=password]", PASSWORD)
            page.click("main form.account-form button[type=submit]")
            page.wait_for_load_state()
            for name, (path, _) in pages.items():
                if only and name not in only:
                    continue
                page.goto(base + (path or paper))
                page.wait_for_load_state("networkidle")
                target = out / f"{name}-{size}.png"
                page.screenshot(path=str(target))
                shrink(target)
                written.append(target)
            context.close()
        browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, help="a DAILYPAPERS_HOME to reuse (built there when empty)")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument(
        "--pages", default="", help="comma-separated subset of day,paper,search,trending,for-you,collection"
    )
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="dailypapers-shots-"))
    home.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    env = environment(home)
    collection = prepare(home, env)
    port = free_port()
    server = subprocess.Popen([*CLI, "serve", "--port", str(port), "--workers", "2"], env=env)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/trending", 120)
        written = shoot(base, args.out, collection, set(filter(None, args.pages.split(","))))
    finally:
        server.terminate()
        server.wait(30)
    total = sum(p.stat().st_size for p in written)
    print(f'{{"screenshots": {len(written)}, "total_kib": {total / 1024:.0f}, "folder": "{args.out}"}}')


if __name__ == "__main__":
    main()

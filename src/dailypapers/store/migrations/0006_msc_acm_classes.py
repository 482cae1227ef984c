"""MSC and ACM classes get their own fields, and imported categories are checked against arXiv's
taxonomy: values such as "cs.CV, cs.MM", "94A29," or "I.2.7;" were stored as categories (they
showed as category chips and suggestions). Each affected paper is sorted again by the import's
rule and gets a metadata change in the feed, so the search indexes re-read it."""

import re

from django.db import migrations, models
from django.utils import timezone

# A copy of store/taxonomy.py's rule as of this migration (migrations are history: they must
# not change when the live module does).
_GROUPS = {
    "cs": "AI AR CC CE CG CL CR CV CY DB DC DL DM DS ET FL GL GR GT HC IR IT LG LO MA MM MS NA NE NI OH OS PF PL "
    "RO SC SD SE SI SY",
    "econ": "EM GN TH",
    "eess": "AS IV SP SY",
    "math": "AC AG AP AT CA CO CT CV DG DS FA GM GN GR GT HO IT KT LO MG MP NA NT OA OC PR QA RA RT SG SP ST",
    "astro-ph": "CO EP GA HE IM SR",
    "cond-mat": "dis-nn mes-hall mtrl-sci other quant-gas soft stat-mech str-el supr-con",
    "nlin": "AO CD CG PS SI",
    "physics": "acc-ph ao-ph app-ph atm-clus atom-ph bio-ph chem-ph class-ph comp-ph data-an ed-ph flu-dyn gen-ph "
    "geo-ph hist-ph ins-det med-ph optics plasm-ph pop-ph soc-ph space-ph",
    "q-bio": "BM CB GN MN NC OT PE QM SC TO",
    "q-fin": "CP EC GN MF PM PR RM ST TR",
    "stat": "AP CO ME ML OT TH",
}
_WHOLE_ARCHIVES = (
    "gr-qc hep-ex hep-lat hep-ph hep-th math-ph nucl-ex nucl-th quant-ph astro-ph cond-mat "
    "acc-phys adap-org alg-geom ao-sci atom-ph bayes-an chao-dyn chem-ph cmp-lg comp-gas dg-ga funct-an "
    "mtrl-th patt-sol plasm-ph q-alg solv-int supr-con"
)
CATEGORIES = frozenset(
    [f"{a}.{s}" for a, subjects in _GROUPS.items() for s in subjects.split()] + _WHOLE_ARCHIVES.split()
)
CANONICAL = {name.lower(): name for name in CATEGORIES}
MSC = re.compile(r"^\d\d(?:[A-Z](?:\d\d|xx|XX)|-(?:\d\d|xx|XX))?$")
ACM = re.compile(r"^[A-K]\.(?:\d{1,2}|m)(?:\.(?:\d{1,2}|m))?$")
ASIDE = re.compile(r"\([^()]*\)")
SEPARATORS = re.compile(r"[\s,;()]+")
PUNCTUATION = ".,;:[]{}'\""
MARKERS = {"primary", "secondary"}
CLASS_LIMIT = 256


def sort_paper(categories, primary, msc, acm):
    """(categories, primary, msc, acm) after the rule. Stored categories are space separated, so
    a value once kept whole ("cs.CV, cs.MM") arrives here as its pieces."""
    cats, found_msc, found_acm = [], list(msc), list(acm)
    for piece in SEPARATORS.split(ASIDE.sub(" ", categories)):
        piece = piece.strip(PUNCTUATION)
        if not piece or piece.lower() in MARKERS:
            continue
        if (name := CANONICAL.get(piece.lower())) is not None:
            target, piece = cats, name
        elif MSC.match(piece):
            target = found_msc
        elif ACM.match(piece):
            target = found_acm
        else:
            continue
        if piece not in target:
            target.append(piece)
    msc_text, acm_text = " ".join(found_msc), " ".join(found_acm)
    canonical_primary = CANONICAL.get(primary.strip().lower()) if primary else None
    return (
        " ".join(cats),
        canonical_primary or (cats[0] if cats else ""),
        msc_text if len(msc_text) <= CLASS_LIMIT else "",
        acm_text if len(acm_text) <= CLASS_LIMIT else "",
    )


def sort_categories(apps, schema_editor):
    Paper = apps.get_model("store", "Paper")
    PaperChange = apps.get_model("store", "PaperChange")
    fixed, changes, now = [], [], timezone.now()
    rows = Paper.objects.values_list("id", "arxiv_id", "categories", "primary_category", "msc_classes", "acm_classes")
    for pk, arxiv_id, categories, primary, msc, acm in rows.iterator(chunk_size=5000):
        if all(c in CATEGORIES for c in categories.split()) and (not primary or primary in CATEGORIES):
            continue
        cats, new_primary, new_msc, new_acm = sort_paper(categories, primary, msc.split(), acm.split())
        fixed.append(
            Paper(id=pk, categories=cats, primary_category=new_primary, msc_classes=new_msc, acm_classes=new_acm)
        )
        changes.append(PaperChange(paper_id=pk, arxiv_id=arxiv_id, kind="metadata", at=now))
    Paper.objects.bulk_update(fixed, ["categories", "primary_category", "msc_classes", "acm_classes"], batch_size=500)
    PaperChange.objects.bulk_create(changes, batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("store", "0005_media"),
    ]

    operations = [
        migrations.AddField(
            model_name="paper",
            name="msc_classes",
            field=models.CharField(blank=True, default="", max_length=256),
        ),
        migrations.AddField(
            model_name="paper",
            name="acm_classes",
            field=models.CharField(blank=True, default="", max_length=256),
        ),
        migrations.RunPython(sort_categories, migrations.RunPython.noop),
    ]

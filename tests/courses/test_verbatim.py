"""Invariant 1: every sentence and heading of both seed guidelines (settings.SEEDS_DIR) is shown
verbatim on the site, to staff of the guideline's municipality.

The seeds are cleaned as their README says: page-number lines and the web page's print-button
line go, the Sukagawa contact block (from このページに関するお問い合わせ on) goes, list bullets
(•) and "1." markers go, and because the Ashiya text breaks lines even inside words, both sides are
compared with every whitespace character deleted.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings

from courses.models import ChapterPage, GuidelinePage
from courses.services import guidelines_import_files
from tests.factories import DepartmentFactory, StaffMemberFactory
from tests.helpers import squeeze, visible_text

pytestmark = pytest.mark.django_db

FIXTURES = Path(settings.BASE_DIR) / "fixtures" / "guidelines"
CONTACT_BLOCK = "このページに関するお問い合わせ"
WEB_ARTEFACTS = {"印刷大きな文字で印刷"}
PAGE_NUMBER = re.compile(r"^\d+$")
LIST_MARKER = re.compile(r"^(?:•\s*|\d+\.\s+)")
# A heading or list item stands on a line of its own: "１ 策定の…", "3 ガイドライン…", "(1) 匿名性…",
# "【業務編】", "ア 人種、…". Anything else is running text, broken across lines at random.
HEADING = re.compile(r"^(?:[0-9０-９]+\s|\(\d+\)|【|[ア-ン]\s)")
CHAPTER_HEADING = re.compile(r"^[0-9０-９]+\s")
SENTENCE_END = re.compile(r"(?<=。)(?![)）」』])")
PARAGRAPH_END = re.compile(r"。[)）」』]?$")
# Headings and sentences the cleaned seeds hold (so a cleaning bug cannot make the check vacuous).
MIN_UNITS = {"282065": 96, "072079": 40}


def seed_units(text: str) -> list[str]:
    """The seed's headings and sentences, cleaned, in reading order (whitespace kept)."""
    if CONTACT_BLOCK in text:
        text = text[: text.index(CONTACT_BLOCK)]
    units: list[str] = []
    running: list[str] = []
    front_matter = True

    def flush():
        if running:
            units.extend(SENTENCE_END.split("".join(running)))
            running.clear()

    for raw in text.splitlines():
        stripped = raw.strip()
        line = LIST_MARKER.sub("", stripped)
        if not line or PAGE_NUMBER.match(line) or line in WEB_ARTEFACTS:
            continue
        if front_matter and CHAPTER_HEADING.match(line):
            front_matter = False
        if front_matter or HEADING.match(line):
            # The title lines before the first chapter, and every heading, are units of their own.
            flush()
            units.extend(SENTENCE_END.split(line))
            continue
        if line != stripped:
            flush()  # a numbered or bulleted list item starts afresh
        running.append(line)
        if PARAGRAPH_END.search(line):
            flush()
    flush()
    return [u.strip() for u in units if squeeze(u)]


def missing_from(units: list[str], haystack: str) -> list[str]:
    return [unit for unit in units if squeeze(unit) not in haystack]


def _seeds() -> dict[str, str]:
    """Seed text by municipality code, recognised by content rather than file name."""
    seeds_dir = Path(settings.SEEDS_DIR)
    if not seeds_dir.is_dir():
        pytest.skip(f"the seed guidelines are not here ({seeds_dir}); set SNS_SEEDS_DIR to check them")
    found = {}
    for path in sorted(seeds_dir.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        if "芦屋市" in text:
            found["282065"] = text
        elif "須賀川市" in text:
            found["072079"] = text
    assert set(found) == {"282065", "072079"}, f"expected the Ashiya and Sukagawa seeds in {seeds_dir}"
    return found


@pytest.fixture(scope="module")
def site(module_db):
    guidelines_import_files(paths=sorted(FIXTURES.glob("*.json")))
    readers = {}
    for guideline in GuidelinePage.objects.select_related("municipality"):
        municipality = guideline.municipality
        readers[municipality.code] = StaffMemberFactory(
            municipality=municipality, department=DepartmentFactory(municipality=municipality)
        ).user
    return readers


def rendered_text(client, user, code: str) -> str:
    """The visible text of the course page and every chapter page, whitespace deleted, pages
    separated so that no match can run from one page into the next."""
    client.force_login(user)
    guideline = GuidelinePage.objects.get(municipality__code=code)
    pages = [guideline, *ChapterPage.objects.child_of(guideline).live().order_by("path")]
    texts = []
    for page in pages:
        response = client.get(page.url)
        assert response.status_code == 200, page.url
        texts.append(squeeze(visible_text(response.content.decode())))
    assert len(pages) >= 6
    return "\x00".join(texts)


@pytest.mark.parametrize("code", ["282065", "072079"], ids=["ashiya", "sukagawa"])
def test_every_sentence_and_heading_of_the_seed_is_on_the_site(client, site, code):
    units = seed_units(_seeds()[code])
    haystack = rendered_text(client, site[code], code)

    assert len(units) >= MIN_UNITS[code], "the seed cleaning lost most of the text"
    assert missing_from(units, haystack) == []


def test_the_matcher_notices_a_missing_or_altered_sentence(client, site):
    units = seed_units(_seeds()["282065"])
    haystack = rendered_text(client, site["282065"], "282065")
    sentence = max(units, key=len)
    assert squeeze(sentence) in haystack

    middle = len(sentence) // 2
    altered = sentence[:middle] + ("が" if sentence[middle] != "が" else "を") + sentence[middle + 1 :]
    assert missing_from([altered], haystack) == [altered]
    without = haystack.replace(squeeze(sentence), "")
    assert missing_from(units, without) == [sentence]


def test_the_cleaning_follows_the_seed_readme():
    units = seed_units(
        "\n 1 \n\n芦屋市ガイドライン \n\n１ 目的 \n近年、情報発信のため、ソーシャルメディアを利用する\n\n3 \n"
        "事例が増えている。また、ネットワ\nークとして構築される。\n(1)  匿名性の低さ\n"
        "印刷大きな文字で印刷\n  1. 市(市と関係を有する者を含む。以下同じ)が発信しないこと。\n"
        "  2. 市に損害を与える恐れがある情報を発信しないこと。(例外なし。)\n  3. 次の点に留意すること。\n"
        "    • ア 事実と異なる情報\n以 上\nこのページに関するお問い合わせ\n企画政策部 秘書広報課\n"
    )
    assert [squeeze(u) for u in units] == [
        "芦屋市ガイドライン",
        "１目的",
        "近年、情報発信のため、ソーシャルメディアを利用する事例が増えている。",
        "また、ネットワークとして構築される。",
        "(1)匿名性の低さ",
        "市(市と関係を有する者を含む。",
        "以下同じ)が発信しないこと。",
        "市に損害を与える恐れがある情報を発信しないこと。",
        "(例外なし。)",
        "次の点に留意すること。",
        "ア事実と異なる情報",
        "以上",
    ]

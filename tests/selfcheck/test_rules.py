"""Each rule of the self-check on a positive and a negative draft, for each guideline, with the
clause it cites by default (芦屋市: 【業務編】 or 【プライベート編】 by account type; 須賀川市: one
guideline). The engine runs with the real GiNZA model (selfcheck/nlp.py)."""

from __future__ import annotations

from datetime import datetime

import pytest

from selfcheck import engine, nlp
from selfcheck.defaults import OFFICIAL, PRIVATE, default_rule_configs


def run(text, *, city, account, planned=None):
    rules = default_rule_configs(municipality_slug=city, account_type=account)
    return engine.check(
        text=text,
        account_type=account,
        planned_at=planned,
        rules=rules,
        entity_finder=lambda t, offset: nlp.entities(t, offset=offset),
        tokenizer=nlp.tokens,
    )


def cited(findings, code):
    return sorted({f.clause_key for f in findings if f.code == code})


EVENING = datetime(2026, 6, 3, 20, 0)  # a Wednesday
WORKING = datetime(2026, 6, 3, 10, 30)
LUNCH = datetime(2026, 6, 3, 12, 30)
SATURDAY = datetime(2026, 6, 6, 10, 30)

# (rule, account, positive draft, negative draft, clause cited in 芦屋市, in 須賀川市)
CASES = [
    (
        "personal_info",
        PRIVATE,
        "窓口に相談に来た小松原茂さんが、滞納の件でずっと怒っていた。",
        "今日は窓口がとても混んでいて、相談の受付が大変だった。",
        "9-1",
        "4-2",
    ),
    (
        "personal_info",
        OFFICIAL,
        "ご意見をくださった中川様（電話 090-1111-2222）には、担当から折り返します。",
        "お問い合わせは市民課（0797-38-2020）までお願いします。",
        "6-1",
        "4-2",
    ),
    (
        "fuseji",
        PRIVATE,
        "某課の××さん、またやらかしたらしい。",
        "週末は家族で動物園へ。パンダを見ました。",
        "8-5",
        "4-5-ア",
    ),
    (
        "fuseji",
        OFFICIAL,
        "○○地区の説明会は中止となりました。",
        "東地区の説明会は予定どおり開催します。",
        "5-5",
        "4-5-ア",
    ),
    (
        "unannounced",
        PRIVATE,
        "来年度の人事異動で、うちの部長が交代するのが内定したみたい。",
        "新年度の人事異動が発表されました。新しい職場でもがんばります。",
        "9-1",
        "5-1",
    ),
    (
        "unannounced",
        OFFICIAL,
        "新しい体育館の建設計画は現在検討中ですが、規模は2倍になる予定です。",
        "新しい体育館が完成しました。",
        "6-1",
        "5-1",
    ),
    (
        "policy_opinion",
        PRIVATE,
        "市の駐車場有料化の方針は、市民のことを考えていないと思う。",
        "個人の意見ですが、市の駐車場有料化はやむを得ないと思う。",
        "8-1",
        "5-5-ア",
    ),
    (
        "abusive",
        PRIVATE,
        "窓口のクレーマー、ほんとにうざい。",
        "窓口で丁寧に説明したら分かってもらえた。",
        "9-2",
        "4-5-イ",
    ),
    ("abusive", OFFICIAL, "ルールを守らない方は迷惑です。", "ごみは決められた日に出してください。", "6-2", "4-5-イ"),
    (
        "rumor",
        PRIVATE,
        "駅前のパン屋さん、閉店するって噂。",
        "噂のパン屋さんに行ってきた。おいしかった！",
        "8-5",
        "4-5-オ",
    ),
    (
        "pressure",
        PRIVATE,
        "課のみんな、私のインスタをフォローしてね。フォロー必須です！",
        "週末に撮った写真をインスタに載せました。",
        "9-6",
        "4-1",
    ),
    ("impersonation", PRIVATE, "課長のふりしてアカウントを作ってみた。", "課長と一緒に写真を撮った。", "9-4", "4-5-キ"),
    (
        "accuracy",
        OFFICIAL,
        "来場者は約3万人だったと思われます。",
        "来場者は3万1千人でした（実行委員会調べ）。",
        "5-5",
        "4-5-ア",
    ),
]


@pytest.mark.parametrize(("code", "account", "positive", "negative", "ashiya_key", "sukagawa_key"), CASES)
@pytest.mark.parametrize("city", ["ashiya", "sukagawa"])
def test_each_rule_fires_on_its_problem_and_not_on_a_harmless_draft(
    city, code, account, positive, negative, ashiya_key, sukagawa_key
):
    expected = ashiya_key if city == "ashiya" else sukagawa_key
    assert cited(run(positive, city=city, account=account, planned=EVENING), code) == [expected]
    assert cited(run(negative, city=city, account=account, planned=EVENING), code) == []


@pytest.mark.parametrize(("city", "key"), [("ashiya", "9-3"), ("sukagawa", "4-4")])
def test_private_posts_in_working_hours_are_flagged_outside_breaks_and_weekends(city, key):
    text = "今日はいい天気。"
    assert cited(run(text, city=city, account=PRIVATE, planned=WORKING), "working_hours") == [key]
    for planned in (LUNCH, EVENING, SATURDAY, None):
        assert cited(run(text, city=city, account=PRIVATE, planned=planned), "working_hours") == []
    # An official account posts in working hours by design.
    assert cited(run(text, city=city, account=OFFICIAL, planned=WORKING), "working_hours") == []


def test_ashiya_cites_the_business_part_for_official_and_the_private_part_for_private_accounts():
    text = "まだ言えないけど、某施設の移転が内定しました。"
    official = run(text, city="ashiya", account=OFFICIAL)
    private = run(text, city="ashiya", account=PRIVATE)
    assert {f.clause_key for f in official} == {"5-5", "6-1"}  # 【業務編】 5–6
    assert {f.clause_key for f in private} == {"8-5", "9-1"}  # 【プライベート編】 8–9


def test_a_finding_points_at_the_passage_in_the_text_as_pasted():
    # Full-width letters are matched folded, but the offsets are the pasted text's own.
    text = "ＴＥＬ：０９０－１２３４－５６７８ の田中さんへ"
    findings = run(text, city="ashiya", account=PRIVATE)
    phone = [f for f in findings if f.code == "personal_info" and "０９０" in f.passage]
    assert phone and text[phone[0].start : phone[0].end] == "０９０－１２３４－５６７８"


def test_person_names_come_from_ginza_not_from_a_name_list():
    # Names no word list holds are recognised by the named-entity model. (Foreign names in katakana,
    # e.g. 「グエン・ヴァン・アン」, GiNZA misses: a known limit, decision 0041.)
    for name in ("小松原茂", "綾瀬はるみ", "武者小路実"):
        findings = run(f"窓口に来た{name}さんの相談、長かった。", city="sukagawa", account=PRIVATE)
        assert any(f.code == "personal_info" and name[:2] in f.passage for f in findings), name


def test_policy_opinion_with_a_personal_view_stated_is_not_flagged():
    text = "これは私個人の見解で、市の公式見解ではありませんが、学校の統廃合には反対です。"
    assert cited(run(text, city="sukagawa", account=PRIVATE), "policy_opinion") == []
    assert cited(run("学校の統廃合の方針には反対です。", city="sukagawa", account=PRIVATE), "policy_opinion") == [
        "5-5-ア"
    ]


# Decision 0047: the rules match words by SudachiPy's normalised forms, parts of speech and
# inflections, so a conjugation, a spelling or a phrasing the word lists do not hold is found too.
GENERALISED = [
    # (rule, account, draft with the problem, harmless draft that shares its words)
    ("abusive", PRIVATE, "あんな人たちには早く消えて欲しかった。", "雨雲が早く消えてくれたので花火が見られた。"),
    ("abusive", PRIVATE, "文句ばかりの客、もう帰れ。", "今日は早めに帰れた。"),
    ("rumor", PRIVATE, "駅前の本屋さん、来月でなくなるそうだ。", "雨が降りそうだから傘を持って出た。"),
    ("rumor", PRIVATE, "体育館の工事が止まったらしい。", "夏らしい青空。体育館でバレーをした。"),
    ("rumor", PRIVATE, "図書館の司書さんが辞めるって聞いたけど本当？", "誰とは言わないけど、今日はいい日だった。"),
    (
        "unannounced",
        PRIVATE,
        "開札前だけど、落札しそうな会社はもう分かってる。",
        "入札の結果が市のサイトで公開されていた。",
    ),
    (
        "policy_opinion",
        PRIVATE,
        "市の補助金の見直し、現場のことを何も分かってない。",
        "市の補助金の申請、分からないところを窓口で聞けた。",
    ),
    (
        "pressure",
        PRIVATE,
        "係のみんな、明日までに私のアカウントをフォローしろ。",
        "係のみんなとバーベキュー。楽しかった。",
    ),
    ("impersonation", PRIVATE, "部長を名乗って後輩にメッセージを送ってみた。", "部長の名前を覚えた新人さん、えらい。"),
    ("fuseji", PRIVATE, "Ｓ係長、また会議で寝てた。", "Ｓサイズの服を買った。"),
    ("accuracy", OFFICIAL, "明日の花火大会は予定どおり開催されるそうです。", "明日の花火大会は予定どおり開催します。"),
]


@pytest.mark.parametrize(("code", "account", "positive", "negative"), GENERALISED)
def test_generalised_rules_find_forms_no_word_list_holds(code, account, positive, negative):
    assert cited(run(positive, city="sukagawa", account=account, planned=EVENING), code), positive
    assert not cited(run(negative, city="sukagawa", account=account, planned=EVENING), code), negative


def test_a_surname_from_sudachipy_with_an_honorific_and_a_detail_of_their_life_is_personal_information():
    # SudachiPy's dictionary tags 名詞-固有名詞-人名; the detail (a family matter) makes it sensitive.
    findings = run("子ども食堂に来ていた芹沢さん、最近離婚したばかりで大変そう。", city="ashiya", account=PRIVATE)
    assert any(f.code == "personal_info" and f.passage.startswith("芹沢") for f in findings)
    # A friend named without anything about their life is not.
    assert cited(run("芹沢さんと映画を観た。", city="ashiya", account=PRIVATE), "personal_info") == []


def test_hearsay_inside_a_post_about_someones_details_is_one_finding_not_two():
    findings = run("窓口に来た平野さん、生活保護を受けてるらしい。", city="sukagawa", account=PRIVATE)
    codes = {f.code for f in findings}
    assert "personal_info" in codes and "rumor" not in codes


def test_without_a_tokenizer_the_word_lists_still_match_as_written():
    rules = default_rule_configs(municipality_slug="ashiya", account_type=PRIVATE)
    findings = engine.check(
        text="駅前のパン屋さん、閉店するって噂。", account_type=PRIVATE, planned_at=None, rules=rules
    )
    assert cited(findings, "rumor") == ["8-5"]


def test_entities_of_several_sentences_are_mapped_back_to_the_draft():
    """The sentences with a cue go to GiNZA as one text; each entity is mapped back to its place."""
    text = "今日は暑かった。\n窓口に来た小松原茂さんは怒っていた。天気の話はさておき。\n夕方には大河内良子さん（45歳）が来た。"
    draft = engine.Draft(
        text, engine.fold(text), PRIVATE, None, lambda t, offset: nlp.entities(t, offset=offset), nlp.tokens
    )

    entities = draft.entities(lambda start, end: "さん" in text[start:end])

    people = [e for e in entities if e.label in engine.PERSON_LABELS]
    assert len(people) >= 2
    assert all(text[e.start : e.end] == e.text for e in entities)
    assert any(e.text.startswith("大河内") for e in people)


def _recogniser_reads(text):
    """The sentences the check hands to GiNZA for `text` (a private 芦屋市 draft), and its findings."""
    read = []

    def finder(t, offset):
        read.extend(t.split("\n"))
        return nlp.entities(t, offset=offset)

    rules = default_rule_configs(municipality_slug="ashiya", account_type=PRIVATE)
    findings = engine.check(
        text=text, account_type=PRIVATE, planned_at=None, rules=rules, entity_finder=finder, tokenizer=nlp.tokens
    )
    return read, findings


def test_a_name_sudachipy_knows_or_a_word_that_is_no_name_skips_the_recogniser():
    """GiNZA's cost grows with what it reads: a sentence whose every honorific follows a name in
    SudachiPy's dictionary (田中さん) or a word that cannot be a name (皆さん, ○○さん, 議員さん)
    is not handed to it, and the name is still found."""
    text = "窓口に来た田中さん、2時間も粘ってた。市民の皆さん、議員さんも来てた。"
    read, findings = _recogniser_reads(text)
    assert read == []
    assert [f.passage for f in findings if f.code == "personal_info"] == ["田中さん"]


def test_a_name_sudachipy_reads_as_a_place_still_goes_to_the_recogniser():
    """清水 is a place in SudachiPy's dictionary: the sentence goes to GiNZA, which sees a person."""
    text = "窓口に来た清水くん、家出して警察沙汰だって。"
    read, findings = _recogniser_reads(text)
    assert read == ["窓口に来た清水くん、家出して警察沙汰だって。"]
    assert any(f.passage.startswith("清水") for f in findings if f.code == "personal_info")


def test_a_sensitive_word_or_an_age_always_goes_to_the_recogniser():
    read, _findings = _recogniser_reads("窓口に来た田中さん（82歳）の話。")
    assert read == ["窓口に来た田中さん（82歳）の話。"]

"""The rules of the self-check and their defaults per municipality (decision 0041).

Each rule has a code, a label, a default message (the risk in one or two sentences) and word
lists; which clause it cites depends on the municipality's guideline and, for 芦屋市, on the
account type (【業務編】 for official accounts, 【プライベート編】 for private ones). Editors
override every part per municipality in the CMS (`selfcheck.models.SelfCheckRule`); these are
the values a municipality starts from (`selfcheck.services.rules_seed`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext_lazy as _

OFFICIAL = "official"
PRIVATE = "private"
ACCOUNT_TYPES = (OFFICIAL, PRIVATE)


@dataclass(frozen=True)
class RuleDefault:
    code: str
    label: str
    message: str
    # Which account types the rule applies to by default.
    accounts: tuple[str, ...] = ACCOUNT_TYPES
    # Named word lists; the engine (selfcheck/engine.py) says what each list means for the rule.
    words: dict[str, tuple[str, ...]] = field(default_factory=dict)


RULES: tuple[RuleDefault, ...] = (
    RuleDefault(
        "personal_info",
        _("個人情報"),
        _(
            "人の名前・住所・電話番号・メールアドレス、住民や児童・患者の事情は、本人の同意なく発信できない"
            "個人情報です。仕事で知った情報ならなおさらで、投稿の内容から本人が特定されるおそれがあります。"
        ),
        words={
            # A person's name is personal information when the draft says how the writer knows them.
            "context": (
                "窓口",
                "来庁",
                "相談",
                "申請",
                "手続",
                "住民",
                "市民",
                "児童",
                "生徒",
                "園児",
                "患者",
                "入院",
                "利用者",
                "参加者",
                "家庭",
                "滞納",
                "差押",
                "生活保護",
                "介護",
                "認定",
                "検診",
                "病院",
                "病棟",
                "保育所",
                "クラブ",
                "戸籍",
                "税務",
                "寄付",
                "ご意見",
                "同僚",
                "同期",
                "係",
                "課の",
            ),
            # Details about a resident, a child or a patient that are sensitive even without a name.
            "sensitive": (
                "生活保護",
                "滞納",
                "差押え",
                "差し押さえ",
                "虐待",
                "一時保護",
                "認知症",
                "精神科",
                "要精密検査",
                "病名",
                "糖尿病",
                "借金",
                "失業中",
                "家出",
                "警察沙汰",
                "アレルギー",
                "本名",
            ),
            "honorifics": ("さん", "様", "さま", "くん", "君", "ちゃん", "氏"),
            # Contact details an official account may give: the office's own.
            "office_contact": ("問い合わせ", "問合せ", "お問合せ", "担当課", "課（", "課(", "係（", "係("),
        },
    ),
    RuleDefault(
        "fuseji",
        _("伏せ字・詮索を招く書き方"),
        _(
            "伏せ字やほのめかしは、かえって「誰のことか」「何があったか」の詮索を招き、誤解や憶測が広がる"
            "もとになります。書けないことなら、話題そのものに触れないのが安全です。"
        ),
        words={
            "marks": ("○○", "〇〇", "××", "＊＊", "**", "△△", "●●", "□□"),
            "hints": (
                "某",
                "まだ言えない",
                "言えないけど",
                "言えません",
                "詳しくは言えない",
                "詳しくは書けない",
                "書けませんが",
                "これ以上は",
                "誰とは言わない",
                "どことは言わない",
                "どことは言えない",
                "とは言えません",
                "名前は伏せ",
                "お察し",
                "察してください",
                "ここだけの話",
                "まだ秘密",
                "まだ公表できない",
                "近々ニュース",
            ),
        },
    ),
    RuleDefault(
        "unannounced",
        _("未発表・内部の情報"),
        _(
            "職務で知った未発表の情報や内部で検討中の情報は、発信してはいけません。"
            "正式な発表の前に広まると、市の意思決定や関係者に影響が出ます。"
        ),
        words={
            "terms": (
                "未発表",
                "発表前",
                "発表はまだ",
                "正式発表はまだ",
                "記者発表前",
                "内定",
                "内示",
                "検討中",
                "調整中",
                "内部資料",
                "内部検討",
                "会議資料",
                "非公開",
                "非公表",
                "非公式情報",
                "入札前",
                "入札の結果",
                "入札予定価格",
                "予定価格",
                "査定",
                "議会に出す予定",
                "議会に出してない",
                "人事異動",
                "の人事",
                "庁内では",
                "方向で",
                "方針で調整",
                "案で",
                "条例案",
                "予算案",
                "民営化する",
            ),
            # Words that say the thing is already public: the term is then not a finding.
            "published": ("発表されました", "公表しました", "掲載しました", "内示後", "送別会", "発表済み"),
        },
    ),
    RuleDefault(
        "working_hours",
        _("勤務時間中の投稿"),
        _("勤務時間中に私的にソーシャルメディアを使うことは禁止されています。休憩時間か勤務時間外に投稿してください。"),
        accounts=(PRIVATE,),
    ),
    RuleDefault(
        "policy_opinion",
        _("市政への意見（個人の見解の明示なし）"),
        _(
            "私的なアカウントで市の施策や方針について意見を述べると、市職員の発言として受け取られます。"
            "書くなら、市の公式見解ではなく個人の見解であることをはっきり示してください。"
        ),
        accounts=(PRIVATE,),
        words={
            "subjects": (
                "市長",
                "市の",
                "市役所",
                "市議会",
                "議会",
                "条例",
                "政策",
                "施策",
                "方針",
                "計画",
                "行財政",
                "予算",
                "統廃合",
                "統合方針",
                "税金",
                "市政",
                "市立",
                "芦屋市の",
                "須賀川市の",
                "うちの市",
            ),
            "opinions": (
                "ありえない",
                "べき",
                "反対",
                "賛成できない",
                "おかしい",
                "無駄",
                "意味がない",
                "役に立たない",
                "考えていない",
                "考えてない",
                "無視",
                "遅れてる",
                "遅れている",
                "無理がある",
                "後退",
                "ずさん",
                "間違ってる",
                "間違っている",
                "センスがない",
                "じゃないよね",
                "と思う",
                "と思います",
                "でしょ",
                "早すぎる",
            ),
            "disclaimers": (
                "個人的な意見",
                "個人の意見",
                "個人の見解",
                "個人的見解",
                "私見",
                "公式見解ではありません",
                "市の見解ではありません",
                "市の公式見解ではない",
                "個人の感想",
            ),
        },
    ),
    RuleDefault(
        "abusive",
        _("攻撃的・差別的な表現"),
        _(
            "人を傷つける言葉や、属性でひとまとめにして見下す表現は、差別や名誉の侵害にあたるおそれがあり、"
            "職員としての信用も損ないます。"
        ),
        words={
            "terms": (
                "消えてほしい",
                "無能",
                "最悪",
                "常識ない",
                "嫌い",
                "甘えてる",
                "迷惑です",
                "迷惑でしかない",
                "優遇されすぎ",
                "バカ",
                "馬鹿",
                "アホ",
                "使えない",
                "仕事遅すぎ",
                "向かない",
                "資格はありません",
                "民度が低い",
                "うざい",
                "黙ってろ",
                "クソ",
                "くそ",
                "終わってる",
                "頭おかしい",
                "面倒くさい人",
                "出て行ってほしい",
                "出ていけ",
                "クレーマー",
                "じじい",
                "ばばあ",
                "ブス",
                "キモい",
                "死ね",
                "最低なやつ",
                "ゴミ",
                "連中",
            ),
        },
    ),
    RuleDefault(
        "rumor",
        _("噂・未確認の話"),
        _(
            "噂や伝え聞いた話は、事実でなければ誤った情報を広め、人や店の信用を傷つけます。"
            "確かめられない話は発信しないでください。"
        ),
        words={
            "terms": (
                "らしい",
                "らしいよ",
                "噂",
                "うわさ",
                "って話",
                "って聞いた",
                "と聞いた",
                "って聞こえ",
                "本当なのかな",
                "ほんと？",
                "本当？",
                "みたい。",
                "みたいです",
                "って噂",
            ),
            # Uses of らしい / 噂 that are not hearsay.
            "not_hearsay": ("噂の", "評判どおり", "らしい一日", "らしさ", "冷えるらしい", "寒くなるらしい"),
        },
    ),
    RuleDefault(
        "pressure",
        _("職場の人間関係の強要"),
        _(
            "上司や同僚であることを理由に、フォローや友達申請、いいね・コメントを求めることは、"
            "相手に断りにくい負担を与えます。つながるかどうかは相手に任せてください。"
        ),
        accounts=(PRIVATE,),
        words={
            "actions": ("フォロー", "友達申請", "友達になろう", "友達になっておく", "いいね", "コメント", "シェア"),
            "demands": (
                "してね",
                "しといてね",
                "必須",
                "お願いします",
                "ように",
                "マナー",
                "約束",
                "チェックしてます",
                "業務命令",
                "罰ゲーム",
                "評価下げ",
                "必ず",
                "しておくのが",
            ),
            "workplace": ("課の", "課長", "部下", "先輩", "係の", "同じ課", "職場", "新人", "メンバー", "みんな"),
        },
    ),
    RuleDefault(
        "impersonation",
        _("なりすまし"),
        _(
            "他人や市の公式アカウントを装って投稿することは、なりすましとして禁止されています。"
            "見た人を誤らせ、相手や市の信用を傷つけます。"
        ),
        words={
            "terms": (
                "なりすまし",
                "なりすまして",
                "なりきって",
                "のふりして",
                "のふりをして",
                "を装って",
                "装って",
                "名前でアカウント",
                "っぽい名前で",
                "モノマネアカウント",
                "勝手にお知らせ",
            ),
        },
    ),
    RuleDefault(
        "accuracy",
        _("出典のない数字・不確かな表現"),
        _(
            "公式アカウントの発信は正確さが前提です。数字には出典や基準日を添え、"
            "「〜と思われます」「未確認」のような不確かな内容は確認が取れてから発信してください。"
        ),
        accounts=(OFFICIAL,),
        words={
            "hedges": (
                "思われます",
                "と思います",
                "かもしれません",
                "未確認",
                "確認中",
                "模様です",
                "見込みです",
                "みられます",
                "たぶん",
                "恐らく",
                "おそらく",
                "ようです",
                "のではないか",
                "はず",
            ),
            "sources": ("出典", "調べ", "より）", "より)", "発表", "現在", "統計", "決算", "資料によると"),
        },
    ),
)

RULES_BY_CODE = {rule.code: rule for rule in RULES}

# The clause each rule cites by default: municipality slug → account type → rule code → clause key.
# 芦屋市: 【業務編】 (4–6) for official accounts, 【プライベート編】 (7–9) for private ones.
# 須賀川市: one guideline for both (4 basic points, 5 posting about city matters).
DEFAULT_CLAUSES: dict[str, dict[str, dict[str, str]]] = {
    "ashiya": {
        OFFICIAL: {
            "personal_info": "6-1",
            "fuseji": "5-5",
            "unannounced": "6-1",
            "abusive": "6-2",
            "rumor": "5-5",
            "impersonation": "6-3",
            "accuracy": "5-5",
        },
        PRIVATE: {
            "personal_info": "9-1",
            "fuseji": "8-5",
            "unannounced": "9-1",
            "working_hours": "9-3",
            "policy_opinion": "8-1",
            "abusive": "9-2",
            "rumor": "8-5",
            "pressure": "9-6",
            "impersonation": "9-4",
        },
    },
    "sukagawa": {
        OFFICIAL: {
            "personal_info": "4-2",
            "fuseji": "4-5-ア",
            "unannounced": "5-1",
            "abusive": "4-5-イ",
            "rumor": "4-5-オ",
            "impersonation": "4-5-キ",
            "accuracy": "4-5-ア",
        },
        PRIVATE: {
            "personal_info": "4-2",
            "fuseji": "4-5-ア",
            "unannounced": "5-1",
            "working_hours": "4-4",
            "policy_opinion": "5-5-ア",
            "abusive": "4-5-イ",
            "rumor": "4-5-オ",
            "pressure": "4-1",
            "impersonation": "4-5-キ",
        },
    },
}

# 勤務時間 and 休憩 by default (weekdays); editors set them per municipality on the working-hours rule.
DEFAULT_WORK_START = "08:30"
DEFAULT_WORK_END = "17:15"
DEFAULT_BREAK_START = "12:00"
DEFAULT_BREAK_END = "13:00"


def default_rule_configs(*, municipality_slug: str, account_type: str):
    """The rules a municipality starts from, as the engine takes them (no database)."""
    from .engine import RuleConfig

    clauses = DEFAULT_CLAUSES.get(municipality_slug, {}).get(account_type, {})
    return [
        RuleConfig(
            code=rule.code,
            label=str(rule.label),
            message=str(rule.message),
            clause_key=clauses[rule.code],
            words=dict(rule.words),
            work_start=_time(DEFAULT_WORK_START),
            work_end=_time(DEFAULT_WORK_END),
            break_start=_time(DEFAULT_BREAK_START),
            break_end=_time(DEFAULT_BREAK_END),
        )
        for rule in RULES
        if rule.code in clauses and account_type in rule.accounts
    ]


def _time(value: str):
    from datetime import time

    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


# The word lists' names as editors see them in the CMS (selfcheck.models.parse_words).
WORD_LIST_LABELS = {
    "terms": _("検出する語"),
    "published": _("公表済みを示す語（あれば検出しない）"),
    "context": _("仕事で知った人を示す語"),
    "sensitive": _("配慮が必要な事情"),
    "honorifics": _("敬称"),
    "office_contact": _("公式の問い合わせ先を示す語"),
    "marks": _("伏せ字"),
    "hints": _("ほのめかしの語"),
    "subjects": _("市政の話題を示す語"),
    "opinions": _("意見を示す語"),
    "disclaimers": _("個人の見解であることを示す語"),
    "not_hearsay": _("伝聞ではない使い方"),
    "actions": _("つながりの行為"),
    "demands": _("求める言い方"),
    "workplace": _("職場の関係を示す語"),
    "hedges": _("不確かな言い方"),
    "sources": _("出典を示す語"),
}

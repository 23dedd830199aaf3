"""Wagtail pages for the guidelines: a course page per municipality and a lesson page per chapter.

Pages only render; scoping comes from GuidelinePageQuerySet.visible_to, progress and grading
live in other apps.
"""

from __future__ import annotations

import datetime
import hashlib
import zoneinfo

from django import forms
from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.http import Http404
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.fields import StreamField
from wagtail.models import Page, PageManager, PageViewRestriction
from wagtail.query import PageQuerySet
from wagtail.url_routing import RouteResult

from people import scoping

from . import clause_keys, tree_cache
from .blocks import ClauseStreamBlock
from .panels import clause_citations_panel


class HomePage(Page):
    """Site root. Sends people to their my page (or the log-in)."""

    max_count = 1
    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["courses.GuidelinePage"]

    class Meta:
        verbose_name = _("トップページ")

    def serve(self, request, *args, **kwargs):
        return redirect("courses:mypage")

    def route(self, request, path_components):
        # One query per URL instead of two per path segment: only guideline and
        # chapter pages live below the home page.
        if not path_components:
            return super().route(request, path_components)
        url_path = self.url_path + "/".join(path_components) + "/"
        model = {1: GuidelinePage, 2: ChapterPage}.get(len(path_components))
        if model is None:
            raise Http404
        # Everything a chapter page needs from the tree, in one round trip to the cache.
        guideline_url_path = self.url_path + path_components[0] + "/"
        tree_cache.prefetch(
            [
                f"live-page:{url_path}",
                "restricted-paths",
                f"guideline:{guideline_url_path}",
                f"chapters:{guideline_url_path}",
            ],
            memo=request,
        )
        page = tree_cache.cached(
            f"live-page:{url_path}",
            lambda: model.objects.filter(url_path=url_path, live=True).first(),
            memo=request,
        )
        if page is None:
            raise Http404
        # The page is served in this request: it reads the tree as the request does.
        tree_cache.share(request, page)
        return RouteResult(page)


class GuidelinePageQuerySet(PageQuerySet):
    def visible_to(self, user):
        """Guidelines a viewer may read: their own municipality's (every one for superusers)."""
        return scoping.within_municipality(self, user)


GuidelinePageManager = PageManager.from_queryset(GuidelinePageQuerySet)


class LoginRequiredPageMixin:
    """Training pages need a log-in, and answer 404 to anyone outside the guideline's municipality."""

    def serve(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            from django.contrib.auth.views import redirect_to_login

            return redirect_to_login(request.get_full_path(), settings.LOGIN_URL)
        if not self.is_visible_to(request.user):
            raise Http404
        return super().serve(request, *args, **kwargs)

    def get_view_restrictions(self):
        # Same result as Wagtail's, without a query where no restriction sits above the page
        # (the restricted paths are cached with the tree), and in one query where one does.
        ancestor_paths = [self.path[:end] for end in range(self.steplen, len(self.path) + 1, self.steplen)]
        restricted = tree_cache.cached(
            "restricted-paths",
            lambda: frozenset(PageViewRestriction.objects.values_list("page__path", flat=True)),
            memo=self,
        )
        if restricted.isdisjoint(ancestor_paths):
            return PageViewRestriction.objects.none()
        return PageViewRestriction.objects.filter(page__path__in=ancestor_paths)

    def is_visible_to(self, user) -> bool:
        return scoping.is_within_municipality(user, self.guideline_municipality_id())

    def serve_preview(self, request, mode_name):
        if not self.is_visible_to(request.user):
            raise Http404
        return super().serve_preview(request, mode_name)


class GuidelinePage(LoginRequiredPageMixin, Page):
    municipality = models.ForeignKey(
        "people.Municipality", on_delete=models.PROTECT, related_name="guidelines", verbose_name=_("自治体")
    )
    official_title = models.CharField(_("正式名称"), max_length=200)
    issuer = models.CharField(_("所管課"), max_length=200)
    version_label = models.CharField(_("版"), max_length=100)
    effective_date = models.DateField(_("施行日・更新日"), null=True, blank=True)
    source = models.CharField(_("出典"), max_length=300)
    source_url = models.URLField(_("出典URL"), blank=True)
    source_note = models.CharField(
        _("出典ページの表示"), max_length=200, blank=True, help_text=_("例：ページ番号・更新日の表示")
    )
    document_heading = models.CharField(_("本文の表題"), max_length=200, blank=True)
    preamble = models.TextField(_("前文"), blank=True)
    closing = models.CharField(_("結び"), max_length=50, blank=True)
    pass_mark = models.PositiveSmallIntegerField(
        _("合格基準（%）"),
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_("章ごとに、条項のこの割合以上を習得すると合格です。"),
    )

    objects = GuidelinePageManager()

    parent_page_types = ["courses.HomePage"]
    subpage_types = ["courses.ChapterPage"]
    # The explorer lists chapters in the guideline's order (the tree's), not by last edit.
    admin_default_ordering = "ord"

    content_panels = Page.content_panels + [
        # Only a platform admin moves a guideline to another municipality, not its editors.
        FieldPanel("municipality", permission="superuser"),
        MultiFieldPanel(
            [
                FieldPanel("official_title"),
                FieldPanel("issuer"),
                FieldPanel("version_label"),
                FieldPanel("effective_date"),
                FieldPanel("source"),
                FieldPanel("source_url"),
                FieldPanel("source_note"),
            ],
            heading=_("ガイドラインの情報"),
        ),
        FieldPanel("document_heading"),
        FieldPanel("preamble"),
        FieldPanel("closing"),
        FieldPanel("pass_mark"),
    ]

    class Meta:
        verbose_name = _("ガイドライン（講座）")
        verbose_name_plural = _("ガイドライン（講座）")

    def guideline_municipality_id(self):
        return self.municipality_id

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["chapters"] = live_chapters_of(self, memo=self)
        # Cached with the tree: a new version comes with a publish, which invalidates it.
        context["latest_version"] = tree_cache.cached(
            f"latest-version:{self.pk}",
            lambda: self.versions.only("number", "guideline_id").order_by("-number").first(),
            memo=self,
        )
        return context

    def bound_employment_types(self) -> set[str] | None:
        """The employment types at least one live chapter binds (None: every type, as when a
        chapter's `binds` is empty). Training cycles leave the others out (decision 0019)."""
        chapters = live_chapters_of(self)
        if not chapters:
            return None
        bound: set[str] = set()
        for chapter in chapters:
            if not chapter.binds:
                return None
            bound.update(chapter.binds)
        return bound


# people.StaffMember.EmploymentType, repeated so the page model does not import people.
EMPLOYMENT_TYPE_CHOICES = [
    ("regular", _("一般職")),
    ("special", _("特別職")),
    ("reappointed", _("再任用職員")),
    ("fiscal_year", _("会計年度任用職員")),
    ("contractor", _("委託事業者")),
    ("designated_manager", _("指定管理者")),
]


class ChapterPageForm(WagtailAdminPageForm):
    """Refuses a clause key that another chapter of the same guideline already uses. The
    employment types a chapter binds are ticked, not typed as JSON."""

    binds = forms.MultipleChoiceField(
        label=_("拘束する任用形態"),
        required=False,
        choices=EMPLOYMENT_TYPE_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("この章が適用される任用形態。何も選ばなければ、すべての任用形態に適用します。"),
    )

    substantive_changes = forms.MultipleChoiceField(
        label=_("意味が変わる改正（実質）の条項"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_(
            "本文を変えた条項のうち、意味が変わるものにチェックを入れてください。公開すると、修了した職員に"
            "「改正点の確認」を求めます。チェックしない変更は軽微な改正（字句の修正など）として扱います。"
            "新設・削除した条項は実質的な改正です。"
        ),
    )
    retire_citing_questions = forms.BooleanField(
        label=_("削除する条項を引用している設問を廃止する"),
        required=False,
        help_text=_("条項を削除するとき、その条項を引用している設問を公開と同時に出題から外します。"),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields.get("substantive_changes")
        if field is not None:
            # Any clause of the draft may be ticked (a key added in this very edit is substantive anyway).
            keys = []
            body = getattr(self.instance, "body", None) or []
            for clause in ChapterPage.clauses_of(body):
                label = " ".join(part for part in (clause["key"], clause["number"], clause["heading"]) if part)
                keys.append((clause["key"], label))
            field.choices = keys
        stale = getattr(self.instance, "revision_effective_date", None)
        if stale is not None and stale < timezone.localdate():
            # The date of an earlier, published edit: this edit starts blank (= the publish day).
            self.initial["revision_effective_date"] = None

    def clean_substantive_changes(self):
        return sorted(set(self.cleaned_data.get("substantive_changes") or []))

    def clean_revision_effective_date(self):
        """施行日 of the version this edit makes (decision 0037): not in the past, not before the
        previous version's."""
        from . import versions

        date = self.cleaned_data.get("revision_effective_date")
        if date is None or self.parent_page is None:
            return date
        for message in versions.effective_date_problems(guideline=self.parent_page.specific, date=date):
            self.add_error("revision_effective_date", message)
        return date

    def _hold_until_effective_date(self, cleaned_data) -> None:
        """The new text goes live on its 施行日, not before (decision 0044): a future 施行日 becomes
        Wagtail's go_live_at (00:00 Japan time), so publishing or approving schedules the revision
        and `publish_scheduled` makes it live that night; the version is recorded then. The
        chapter's 公開日時 is always this date (blank when the 施行日 is today or blank). Until then
        Wagtail's scheduled-publishing lock keeps any other edit from publishing it early."""
        if "go_live_at" not in self.fields or "revision_effective_date" in self.errors:
            return
        date = cleaned_data.get("revision_effective_date")
        cleaned_data["go_live_at"] = effective_moment(date) if date and date > timezone.localdate() else None

    def _classification_conflict(self, cleaned_data) -> str | None:
        """Two editors submitting different 軽微 / 実質 markings of one chapter: the later submit,
        made on a draft older than the latest revision, is refused (decision 0037)."""
        if "action-submit" not in self.data or not self.instance.pk:
            return None
        loaded = str(self.data.get("loaded_revision_id") or "")
        latest = self.instance.latest_revision
        if latest is None or not loaded or loaded == str(latest.pk):
            return None
        theirs = sorted(set((latest.content or {}).get("substantive_changes") or []))
        if theirs == cleaned_data.get("substantive_changes", theirs):
            return None
        return _(
            "ほかの編集者がこの章を異なる改正の区分（実質：%(theirs)s）で保存・提出しています。"
            "最新の内容を開き直し、区分を確かめてから提出してください。"
        ) % {"theirs": "、".join(theirs) or _("なし")}

    def clean(self):
        cleaned_data = super().clean()
        body = cleaned_data.get("body")
        if body is None or self.parent_page is None:
            return cleaned_data
        guideline = self.parent_page.specific
        siblings = ChapterPage.objects.child_of(self.parent_page)
        if self.instance.pk:
            siblings = siblings.exclude(pk=self.instance.pk)
        siblings = list(siblings)
        # Keys are the system's (issue 16): a new chapter and new clauses get theirs here.
        if not self.instance.key:
            self.instance.key = clause_keys.chapter_key_for(
                number=cleaned_data.get("number") or "", taken={sibling.key for sibling in siblings}
            )
        taken = set(ClauseKey.objects.filter(guideline_id=guideline.pk).values_list("key", flat=True))
        for sibling in siblings:
            taken.update(clause["key"] for clause in sibling.clauses())
        clause_keys.keys_assign(chapter_key=self.instance.key, body=body, taken=taken)
        mine = clause_keys.keys_of(body)
        problems = clause_keys.edit_problems(
            chapter=self.instance,
            guideline=guideline,
            body=body,
            retire_citing=bool(cleaned_data.get("retire_citing_questions")),
        )
        for message in problems.errors:
            self.add_error("body", message)
        conflict = self._classification_conflict(cleaned_data)
        if conflict:
            self.add_error("substantive_changes", conflict)
        self._hold_until_effective_date(cleaned_data)
        for sibling in siblings:
            clash = mine & {clause["key"] for clause in sibling.clauses()}
            if clash:
                self.add_error(
                    "body",
                    _("条項キー %(keys)s は「%(chapter)s」で使われています。")
                    % {"keys": "、".join(sorted(clash)), "chapter": sibling.title},
                )
        return cleaned_data


class ChapterPage(LoginRequiredPageMixin, Page):
    class Audience(models.TextChoices):
        ALL = "all", _("全職員")
        OFFICIAL_ACCOUNT = "official_account", _("公式アカウント運用者・委託事業者・指定管理者")

    key = models.CharField(
        _("章キー"),
        max_length=30,
        help_text=_("章そのものの本文を持つ条項のキー（例：「1」）。設問と記録が参照します。"),
    )
    number = models.CharField(_("章番号"), max_length=10)
    part = models.CharField(_("編"), max_length=50, blank=True, help_text=_("例：【業務編】"))
    audience = models.CharField(_("対象"), max_length=30, choices=Audience.choices, default=Audience.ALL)
    binds = models.JSONField(
        _("拘束する任用形態"),
        default=list,
        blank=True,
        help_text=_("この章が適用される任用形態。空欄はすべての任用形態（ガイドラインの適用範囲の定めに従います）。"),
    )
    body = StreamField(ClauseStreamBlock(), verbose_name=_("条項"))
    substantive_changes = models.JSONField(
        _("実質的な改正の条項"),
        default=list,
        blank=True,
        help_text=_("この改正で意味が変わる条項のキー。公開時に版の改正区分になります（courses/versions.py）。"),
    )
    revision_effective_date = models.DateField(
        _("この改正の施行日"),
        null=True,
        blank=True,
        help_text=_(
            "公開で作られる版の施行日。空欄なら公開した日です。先の日付なら、承認・公開しても職員にはその日の0時まで"
            "前の本文が表示され、その日に新しい版になります。過去の日付や前の版より前の日付は指定できません。"
        ),
    )

    parent_page_types = ["courses.GuidelinePage"]
    subpage_types = []
    base_form_class = ChapterPageForm

    content_panels = Page.content_panels + [
        # Shown, not typed: the system gives a new chapter its key from its number.
        FieldPanel("key", read_only=True),
        FieldPanel("number"),
        FieldPanel("part"),
        FieldPanel("audience"),
        FieldPanel("binds"),
        FieldPanel("body"),
        clause_citations_panel(),
        FieldPanel("substantive_changes"),
        FieldPanel("revision_effective_date"),
        FieldPanel("retire_citing_questions"),
    ]

    class Meta:
        verbose_name = _("章（レッスン）")
        verbose_name_plural = _("章（レッスン）")

    @cached_property
    def guideline(self) -> GuidelinePage:
        path = self.path[: -self.steplen]
        return tree_cache.cached(
            f"guideline:{_parent_url_path(self.url_path)}", lambda: GuidelinePage.objects.get(path=path), memo=self
        )

    def guideline_municipality_id(self):
        return self.guideline.municipality_id

    def get_admin_display_title(self):
        """The chapter as the guideline numbers it, in the explorer, breadcrumbs and headers:
        「５ 【業務編】遵守事項」 (two chapters may share a title, told apart by their part)."""
        title = super().get_admin_display_title()
        return " ".join(part for part in (self.number, f"{self.part}{title}") if part)

    def clause_keys(self) -> list[str]:
        """The keys of the chapter's numbered clauses (not their lettered sub-items): what quizzes draw on."""
        return [block.value["key"] for block in self.body]

    def clauses(self):
        """Every clause and sub-clause of this chapter as (key, number, heading, body) dicts."""
        return self.clauses_of(self.body)

    @staticmethod
    def clauses_of(body):
        for block in body:
            value = block.value
            yield {"key": value["key"], "number": value["number"], "heading": value["heading"], "body": value["body"]}
            for item in value["items"]:
                yield {"key": item["key"], "number": item["number"], "heading": "", "body": item["body"]}

    def content_hash(self) -> str:
        """SHA-256 over the clause texts, as completion records will snapshot it."""
        digest = hashlib.sha256()
        for clause in self.clauses():
            for part in (clause["key"], clause["number"], clause["heading"], clause["body"]):
                digest.update(part.encode())
                digest.update(b"\x1f")
        return digest.hexdigest()

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        siblings = live_chapters_of(self.guideline, memo=self)
        # A chapter previewed before it is first saved is not among its siblings yet.
        before = [page for page in siblings if page.path < self.path]
        after = [page for page in siblings if page.path > self.path]
        context["guideline"] = self.guideline
        context["previous_chapter"] = before[-1] if before else None
        context["next_chapter"] = after[0] if after else None
        return context


JAPAN = zoneinfo.ZoneInfo("Asia/Tokyo")


def effective_moment(date: datetime.date) -> datetime.datetime:
    """When a 施行日 begins: 00:00 Japan time (the chapter's go_live_at, decision 0044)."""
    return datetime.datetime.combine(date, datetime.time.min, tzinfo=JAPAN)


def _parent_url_path(url_path: str) -> str:
    return url_path[: url_path.rstrip("/").rindex("/") + 1]


def live_chapters_of(guideline: GuidelinePage, *, memo=None) -> list[ChapterPage]:
    """The live chapters below a guideline, in order (cached with the tree)."""
    guideline_path = guideline.path
    return tree_cache.cached(
        f"chapters:{guideline.url_path}",
        lambda: list(
            ChapterPage.objects.filter(path__startswith=guideline_path, depth=len(guideline_path) // Page.steplen + 1)
            .live()
            .order_by("path")
            .only("title", "number", "part", "audience", "binds", "url_path", "path", "depth")
        ),
        memo=memo,
    )


class ClauseKey(models.Model):
    """Every clause key a guideline has published (courses/clause_keys.py): the clause it names
    keeps it, and once retired it is never given to another clause."""

    guideline = models.ForeignKey(
        GuidelinePage, on_delete=models.CASCADE, related_name="+", verbose_name=_("ガイドライン")
    )
    key = models.CharField(_("条項キー"), max_length=30)
    chapter = models.ForeignKey(
        ChapterPage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("章")
    )
    first_published_at = models.DateTimeField(_("初めて公開した日時"))
    retired_at = models.DateTimeField(_("廃止した日時"), null=True, blank=True)

    class Meta:
        ordering = ["guideline", "key"]
        constraints = [models.UniqueConstraint(fields=["guideline", "key"], name="clause_key_unique_per_guideline")]
        verbose_name = _("条項キー")
        verbose_name_plural = _("条項キー")

    def __str__(self):
        return self.key


class GuidelineVersion(models.Model):
    """第N版 of a guideline (courses/versions.py): the exact text of every clause when it was
    published. Made by the system when a chapter is published, never typed."""

    guideline = models.ForeignKey(
        GuidelinePage, on_delete=models.CASCADE, related_name="versions", verbose_name=_("ガイドライン")
    )
    number = models.PositiveIntegerField(_("版番号"))
    effective_date = models.DateField(_("施行日"))
    created_at = models.DateTimeField(_("作成日時"), auto_now_add=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    clauses = models.JSONField(_("条項"), default=list)
    content_hash = models.CharField(_("本文のハッシュ（SHA-256）"), max_length=64)
    classifications = models.JSONField(
        _("改正の区分"), default=dict, blank=True, help_text=_("条項キーごとに minor（軽微）または substantive（実質）")
    )

    class Meta:
        ordering = ["guideline", "number"]
        constraints = [models.UniqueConstraint(fields=["guideline", "number"], name="guideline_version_number_unique")]
        verbose_name = _("ガイドラインの版")
        verbose_name_plural = _("ガイドラインの版")

    def __str__(self):
        return self.label

    @property
    def label(self) -> str:
        return _("第%(number)s版") % {"number": self.number}

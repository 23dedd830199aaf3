"""HR's access log in the Wagtail admin (アクセス記録): a filtered list, one entry's page and a CSV
download, each scoped by `AccessEvent.objects.visible_to` (HR their municipality, the platform
admin all). Registered in identity/wagtail_hooks.py; POLICIES in sns_training/admin_access.py.
Reading the log is not itself logged (docs/decisions/0028-accesslog.md)."""

from __future__ import annotations

import csv
import json

from django.core.exceptions import PermissionDenied
from django.http import HttpResponseBadRequest, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin.ui.tables import Column, TitleColumn
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.reports import ReportView
from wagtail.admin.widgets.button import Button

from sns_training.dates import datetime_display
from sns_training.spreadsheet import escape_cell

from . import selectors
from .filters import AccessEventFilterSet


def _local(dt) -> str:
    return datetime_display(dt, seconds=True)


def _detail_text(event) -> str:
    return json.dumps(event.detail, ensure_ascii=False, sort_keys=True) if event.detail else ""


class _Echo:
    def write(self, value):
        return value


class AccessLogPermissionMixin:
    """Anyone without identity.view_accessevent is refused before anything is read."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(selectors.VIEW_PERMISSION):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class AccessLogView(AccessLogPermissionMixin, ReportView):
    page_title = gettext_lazy("アクセス記録")
    header_icon = "history"
    index_url_name = "access_log:index"
    index_results_url_name = "access_log:index_results"
    results_template_name = "identity/admin/access_log_results.html"
    filterset_class = AccessEventFilterSet
    paginate_by = 50
    # Downloads are this view's own CSV (`?download=csv`), never Wagtail's exporter.
    list_export = ["created_at"]

    CSV_HEADER = (
        gettext_lazy("日時"),
        gettext_lazy("種類"),
        gettext_lazy("方法"),
        gettext_lazy("自治体"),
        gettext_lazy("操作した人"),
        gettext_lazy("操作した人の職員番号"),
        gettext_lazy("対象の人"),
        gettext_lazy("対象の人の職員番号"),
        gettext_lazy("入力されたログイン名"),
        gettext_lazy("接続元アドレス"),
        gettext_lazy("詳細"),
    )

    @cached_property
    def columns(self):
        return [
            TitleColumn(
                "created_at",
                label=gettext_lazy("日時"),
                accessor=lambda e: _local(e.created_at),
                get_url=lambda e: reverse("access_log:detail", args=[e.pk]),
            ),
            Column("kind", label=gettext_lazy("種類"), accessor=lambda e: e.get_kind_display()),
            Column("method", label=gettext_lazy("方法"), accessor=lambda e: e.get_method_display() if e.method else ""),
            Column("municipality", label=gettext_lazy("自治体"), accessor=lambda e: e.municipality or ""),
            Column("actor", label=gettext_lazy("操作した人"), accessor=lambda e: selectors.person_label(e.actor)),
            Column("subject", label=gettext_lazy("対象の人"), accessor=lambda e: selectors.person_label(e.subject)),
            Column("username", label=gettext_lazy("入力されたログイン名")),
            Column("ip_address", label=gettext_lazy("接続元アドレス"), accessor=lambda e: e.ip_address or ""),
        ]

    def get_breadcrumbs_items(self):
        return [{"url": "", "label": self.page_title}]

    def get_queryset(self):
        return selectors.access_events_for(user=self.request.user)

    def get(self, request, *args, **kwargs):
        if request.GET.get("download") == "csv":
            return self.csv_download()
        return super().get(request, *args, **kwargs)

    def csv_rows(self, events):
        yield [str(h) for h in self.CSV_HEADER]
        for e in events.iterator(chunk_size=2000):
            yield [
                escape_cell(value)
                for value in (
                    # CSV downloads keep ISO times (decision 0046).
                    timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                    e.get_kind_display(),
                    e.get_method_display() if e.method else "",
                    str(e.municipality or ""),
                    selectors.person_label(e.actor),
                    selectors.staff_number_of(e.actor),
                    selectors.person_label(e.subject),
                    selectors.staff_number_of(e.subject),
                    e.username,
                    e.ip_address or "",
                    _detail_text(e),
                )
            ]

    def csv_download(self):
        if self.filters and not self.filters.is_valid():
            # Never "everything" for a filter that did not parse.
            return HttpResponseBadRequest(
                _("絞り込みの条件が正しくありません。"), content_type="text/plain; charset=utf-8"
            )
        events = self.get_filtered_queryset()
        writer = csv.writer(_Echo())
        lines = (writer.writerow(row) for row in self.csv_rows(events))

        def body():
            yield "\ufeff"  # a BOM, so that Excel reads UTF-8
            yield from lines

        response = StreamingHttpResponse(body(), content_type="text/csv; charset=utf-8")
        name = f"access-log-{timezone.localdate():%Y%m%d}.csv"
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "private, no-store"
        return response

    def get_header_more_buttons(self):
        params = self.request.GET.copy()
        for name in ("p", "_w_filter_fragment"):
            params.pop(name, None)
        params["download"] = "csv"
        url = reverse(self.index_url_name) + "?" + params.urlencode()
        return [Button(_("CSVでダウンロード（UTF-8）"), url=url, icon_name="download", priority=100)]


class AccessEventDetailView(AccessLogPermissionMixin, WagtailAdminTemplateMixin, TemplateView):
    """One entry, with its details; another municipality's entry is a 404."""

    template_name = "identity/admin/access_event.html"
    page_title = gettext_lazy("アクセス記録")
    header_icon = "history"

    @cached_property
    def event(self):
        return selectors.access_event_get(user=self.request.user, pk=self.kwargs["pk"])

    def get_page_subtitle(self):
        return f"{self.event.get_kind_display()} {_local(self.event.created_at)}"

    def get_breadcrumbs_items(self):
        return [
            {"url": reverse("access_log:index"), "label": _("アクセス記録")},
            {"url": "", "label": self.get_page_subtitle()},
        ]

    def get_context_data(self, **kwargs):
        event = self.event
        return {
            **super().get_context_data(**kwargs),
            "event": event,
            "created_at": _local(event.created_at),
            "actor": selectors.person_label(event.actor),
            "subject": selectors.person_label(event.subject),
            "detail_items": sorted((event.detail or {}).items()),
        }

"""Clause blocks: the verbatim text of a guideline, one block per numbered item."""

from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError

clause_key_validator = RegexValidator(
    r"^[0-9]+(-[0-9A-Za-zア-ン]+)*$",
    _("条項キーは「5-1」「6-2-ア」のように、数字・英字・カタカナをハイフンでつないでください。"),
)


class SubClauseBlock(blocks.StructBlock):
    """A lettered sub-item (ア, イ, …) of a clause."""

    key = blocks.CharBlock(label=_("条項キー"), max_length=30, validators=[clause_key_validator])
    number = blocks.CharBlock(label=_("番号"), max_length=10)
    body = blocks.TextBlock(label=_("本文"))

    class Meta:
        icon = "list-ul"
        label = _("細目")
        template = "blocks/sub_clause.html"


class ClauseBlock(blocks.StructBlock):
    """One numbered item. `key` is stable across revisions; questions and records cite it."""

    key = blocks.CharBlock(
        label=_("条項キー"),
        max_length=30,
        validators=[clause_key_validator],
        help_text=_("一度使ったキーは別の条項に使い回さないでください（設問と修了記録が参照します）。"),
    )
    number = blocks.CharBlock(label=_("番号"), max_length=10)
    heading = blocks.CharBlock(label=_("見出し"), max_length=200, required=False)
    body = blocks.TextBlock(label=_("本文"), help_text=_("段落は改行で区切ります。原文どおりに入力してください。"))
    items = blocks.ListBlock(SubClauseBlock(), label=_("細目（ア、イ、…）"), default=[])

    class Meta:
        icon = "doc-full"
        label = _("条項")
        template = "blocks/clause.html"

    def clean(self, value):
        value = super().clean(value)
        keys = [value["key"]] + [item["key"] for item in value["items"]]
        if len(keys) != len(set(keys)):
            raise StructBlockValidationError(
                block_errors={"items": ValidationError(_("細目の条項キーが重複しています。"))}
            )
        return value


class ClauseStreamBlock(blocks.StreamBlock):
    clause = ClauseBlock()

    def clean(self, value):
        value = super().clean(value)
        seen = set()
        for child in value:
            for key in [child.value["key"]] + [item["key"] for item in child.value["items"]]:
                if key in seen:
                    raise blocks.StreamBlockValidationError(
                        non_block_errors=[ValidationError(_("条項キー「%(key)s」が重複しています。") % {"key": key})]
                    )
                seen.add(key)
        return value

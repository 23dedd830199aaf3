"""Clause blocks: the verbatim text of a guideline, one block per numbered item."""

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _
from wagtail import blocks
from wagtail.blocks.struct_block import StructBlockValidationError

clause_key_validator = RegexValidator(
    r"^[0-9]+(-[0-9A-Za-zア-ン]+)*$",
    _("条項キーは「5-1」「6-2-ア」のように、数字・英字・カタカナをハイフンでつないでください。"),
)


class ClauseKeyBlock(blocks.CharBlock):
    """A clause key as the system manages it: a hidden field of the block, so editors edit the text,
    not identifiers. A new clause comes with none; the chapter form gives it one from its number
    (`courses.clause_keys.keys_assign`), and a published key stays with its clause."""

    def __init__(self, **kwargs):
        super().__init__(
            label=_("条項キー"), max_length=30, required=False, validators=[clause_key_validator], **kwargs
        )
        self.field.widget = forms.HiddenInput()

    class Meta:
        # Wagtail draws a label and a wrapper for every child block; this one shows nothing.
        form_classname = "w-hidden"


class SubClauseBlock(blocks.StructBlock):
    """A lettered sub-item (ア, イ, …) of a clause."""

    key = ClauseKeyBlock()
    number = blocks.CharBlock(label=_("番号"), max_length=10)
    body = blocks.TextBlock(label=_("本文"))

    class Meta:
        icon = "list-ul"
        label = _("細目")
        label_format = "{number}"
        template = "blocks/sub_clause.html"


class ClauseBlock(blocks.StructBlock):
    """One numbered item. `key` is stable across revisions; questions and records cite it."""

    key = ClauseKeyBlock()
    number = blocks.CharBlock(label=_("番号"), max_length=10)
    heading = blocks.CharBlock(label=_("見出し"), max_length=200, required=False)
    body = blocks.TextBlock(label=_("本文"), help_text=_("段落は改行で区切ります。原文どおりに入力してください。"))
    items = blocks.ListBlock(SubClauseBlock(), label=_("細目（ア、イ、…）"), default=[])

    class Meta:
        icon = "doc-full"
        label = _("条項")
        # The collapsed block names the clause as the guideline does: 「(2) 関係法令等を遵守する」.
        label_format = "{number} {heading}"
        template = "blocks/clause.html"

    def clean(self, value):
        value = super().clean(value)
        # A new clause or item has no key yet (the chapter form gives it one).
        keys = [key for key in [value["key"]] + [item["key"] for item in value["items"]] if key]
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
                if not key:
                    continue
                if key in seen:
                    raise blocks.StreamBlockValidationError(
                        non_block_errors=[ValidationError(_("条項キー「%(key)s」が重複しています。") % {"key": key})]
                    )
                seen.add(key)
        return value

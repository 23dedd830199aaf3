"""Signal receivers of the courses app (connected in CoursesConfig.ready)."""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from wagtail.models import Page, PageViewRestriction, Site
from wagtail.signals import page_published, page_unpublished, post_page_move

from . import clause_keys, tree_cache, versions

_TREE_MODELS = (Page, PageViewRestriction, Site)


def _tree_changed():
    # Now, so the next read in this transaction sees the change, and again after commit, so a
    # reader that cached the old rows while the transaction was open cannot keep them.
    tree_cache.invalidate()
    transaction.on_commit(tree_cache.invalidate)


@receiver(post_save)
@receiver(post_delete)
def page_tree_saved_or_deleted(sender, instance, **kwargs):
    if isinstance(instance, _TREE_MODELS):
        _tree_changed()


@receiver(post_page_move)
@receiver(page_unpublished)
def page_moved_or_unpublished(sender, **kwargs):
    _tree_changed()


@receiver(page_published)
def chapter_published(sender, instance, **kwargs):
    """A published chapter's clause keys are registered, and those it dropped retired."""
    from .models import ChapterPage

    if isinstance(instance, ChapterPage):
        clause_keys.register_published(instance)
        revision = kwargs.get("revision")
        if not versions.is_deferred():
            versions.version_record(
                guideline=instance.guideline,
                user=getattr(revision, "user", None),
                effective_date=instance.revision_effective_date,
            )

"""Read-through cache of the published page tree for the pages staff read.

Every chapter page needs the site, the chapter, its guideline, its sibling chapters and the
view restrictions above it. They change only when an editor publishes, moves or deletes a page,
or changes a site or a privacy setting, so they are cached under a version key that any such
change replaces (courses.receivers). A cached entry is the model instance itself (pickled).
Wired from courses.views.serve (site), HomePage.route (chapter), ChapterPage.guideline /
get_context (guideline and siblings) and LoginRequiredPageMixin.get_view_restrictions.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache

VERSION_KEY = "courses:tree:version"
# A backstop only: every change that matters replaces the version at once.
TIMEOUT = 600
_MISSING = object()


def _version(memo=None) -> str:
    """The current tree version. `memo` (the request, or a page served in it) keeps the version
    read once, so one request reads it from the cache once and sees one consistent tree."""
    version = getattr(memo, "_courses_tree_version", None)
    if version is None:
        version = cache.get(VERSION_KEY)
        if version is None:
            version = uuid.uuid4().hex
            if not cache.add(VERSION_KEY, version, None):
                version = cache.get(VERSION_KEY, version)
        if memo is not None:
            memo._courses_tree_version = version
    return version


def _entries(memo) -> dict | None:
    """Entries already read in this request, kept on the memo object."""
    if memo is None:
        return None
    entries = getattr(memo, "_courses_tree_entries", None)
    if entries is None:
        entries = memo._courses_tree_entries = {}
    return entries


def prefetch(names: list[str], *, memo) -> None:
    """Read several entries in one round trip; `cached` then finds them on the memo."""
    if not settings.COURSES_TREE_CACHE:
        return
    version = _version(memo)
    keys = {f"courses:tree:{version}:{name}": name for name in names}
    found = cache.get_many(list(keys))
    _entries(memo).update({keys[key]: value for key, value in found.items()})


def share(source, target) -> None:
    """Let `target` (a page served in the request `source`) read the tree as the request does."""
    target._courses_tree_version = getattr(source, "_courses_tree_version", None)
    target._courses_tree_entries = _entries(source)


def cached(name: str, build: Callable[[], Any], *, memo=None) -> Any:
    """The value cached as `name` for the current tree version, built (and cached) on a miss."""
    if not settings.COURSES_TREE_CACHE:
        return build()
    entries = _entries(memo)
    if entries is not None and name in entries:
        return entries[name]
    key = f"courses:tree:{_version(memo)}:{name}"
    value = cache.get(key, _MISSING)
    if value is _MISSING:
        value = build()
        cache.set(key, value, TIMEOUT)
    if entries is not None:
        entries[name] = value
    return value


def invalidate() -> None:
    """Forget every cached entry (they stay in the cache under the old version until they expire)."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)

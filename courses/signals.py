"""Signals the courses app sends for apps to its right (docs/architecture.md).

- `clauses_citing` asks who still cites clause keys about to be removed from a chapter: receivers
  return a list of short descriptions (the quizzes app: its live questions). Sent from the chapter
  edit form, before anything is saved.
- `clause_citations` asks, for a chapter's edit screen, which live items cite each clause key:
  receivers return {key: [short descriptions]} (the quizzes app: its questions, by ID and prompt).
- `clauses_retired` says clause keys were retired when a chapter was published; receivers act in
  the same transaction (the quizzes app retires the questions citing them).
- `version_recorded` says a new 第N版 was stored (courses/versions.py); the training app gives
  the people who completed the previous version their 改正点の確認 (decision 0037).
"""

from django.dispatch import Signal

clauses_citing = Signal()  # sender=GuidelinePage, guideline_id=int, keys=set[str]
clause_citations = Signal()  # sender=GuidelinePage, guideline_id=int, keys=set[str]
clauses_retired = Signal()  # sender=GuidelinePage, guideline_id=int, keys=set[str]
version_recorded = Signal()  # sender=GuidelineVersion, version=GuidelineVersion; inside the publish transaction

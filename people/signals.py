"""Signals of the people app.

`roster_changed` is sent inside the transaction that changes the roster (the roster import's
commit, and single-person services), so whatever the receivers write (training assignments)
commits or rolls back with it. Keyword arguments, each a list of StaffMember primary keys:
`created`, `transferred`, `deactivated`, `reactivated`; plus `municipality` (Municipality) and
`on` (datetime.date the change takes effect).

Sent with sender=StaffMember, only when at least one list is non-empty. The lists are disjoint: a
person who returns to work in another department is in `reactivated` only, one who leaves is in
`deactivated` only. Senders: `people.services.staff_create`, `staff_transfer`, `staff_deactivate`,
`staff_reactivate` and `roster_import_commit` (the roster import).
"""

from django.dispatch import Signal

roster_changed = Signal()

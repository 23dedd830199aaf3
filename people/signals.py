"""Signals of the people app.

`roster_changed` is sent inside the transaction that changes the roster (the roster import's
commit, and single-person services), so whatever the receivers write (training assignments)
commits or rolls back with it. Keyword arguments, each a list of StaffMember primary keys:
`created`, `transferred`, `deactivated`, `reactivated`; plus `municipality` (Municipality) and
`on` (datetime.date the change takes effect).
"""

from django.dispatch import Signal

roster_changed = Signal()

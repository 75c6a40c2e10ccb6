"""Signals other apps listen to. ``cases`` never imports its listeners.

``case_closed`` is sent with ``sender=Case, case=<case>`` when a case reaches
``closed`` (follow-up satisfied, or resolved on the spot). It is sent inside the
transaction that closes the case, like ``post_save``: a listener's writes (the
deliberation topic it resolves, the grid worker's tally) commit or roll back together
with the close, and a listener that raises aborts the close with its error.
"""

import django.dispatch

case_closed = django.dispatch.Signal()

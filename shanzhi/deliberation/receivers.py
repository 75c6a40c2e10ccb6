"""Listen to the cases app: a closed case resolves the topic whose action item spawned it.

``cases`` never imports deliberation; it sends ``case_closed`` after its transaction
commits, and this receiver does its own writes in a new transaction.
"""

from __future__ import annotations

from django.dispatch import receiver

from shanzhi.cases.signals import case_closed


@receiver(case_closed, dispatch_uid="deliberation.resolve_topics_of_closed_case")
def resolve_topics(sender, case, **kwargs):
    from shanzhi.deliberation.services import resolve_topics_of_closed_case

    resolve_topics_of_closed_case(case)

"""The monthly evaluation of full-time grid workers: computed from the rows, explainable, repeatable.

For a month and a township, every full-time worker who served a grid there gets seven
indicators. Each has a raw figure (a count or a fraction), a ratio between 0 and 1, and
points = weight × ratio rounded to 0.01; the total is the sum of the points. Ranks are
per township by total; equal totals are told apart by the indicators' points in the
order below (duty completion first), and workers equal in all of them share a rank. The
red-flag workers are those ranked within the scheme's count, with a total above zero.

1. duty completion: over the scheduled duties of full-time workers, periods done over
   periods due (daily: days; weekly: the weeks of the month, days 1-7, 8-14, 15-21,
   22-28, 29-31; monthly: the month; each household monthly: the households of the
   worker's grids). A period is done when a visit of the worker covering the duty falls
   in it (for households: a visit to that household).
2. care visits on time: households of the worker's grids carrying a tag with a care
   rule; a household is on time when on no day of the month it went more than the
   rule's interval without a household visit (by anyone).
3. cases reported: the worker's cases reported in the month, against a target.
4. cases resolved on the spot: the worker's cases resolved on the spot in the month,
   against a target.
5. timeliness: of the worker's cases resolved in the month, the share never overdue
   before being resolved.
6. follow-up satisfaction: of the follow-ups on the worker's cases in the month, the
   share satisfied.
7. township assessment: the township's manual score, 0-100 % of the weight.

"The worker's cases" are the cases the worker's login reported and those raised from
the worker's visits. Ratios with nothing to judge (no care households, no resolved
case, no follow-up) earn the full weight: there is nothing to deduct.

Everything is read from rows dated inside the month (visit days, case report times,
the append-only case events, the grid assignments' dates) plus the household register
as it stands, and a closed month keeps the scheme it was computed with (weights,
targets, the duties and care rules counted), so computing a closed month again gives
the same figures.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.apps import apps
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from shanzhi.areas.choices import AreaLevel
from shanzhi.areas.models import Area
from shanzhi.core import audit
from shanzhi.core.errors import Conflict, InvalidInput
from shanzhi.core.scoping import subtree_q
from shanzhi.gridwork.choices import (
    INDICATOR_ORDER,
    SCHEDULED_FREQUENCIES,
    DutyFrequency,
    EvaluationStatus,
    Indicator,
    VisitKind,
    WorkerKind,
)
from shanzhi.gridwork.models import (
    CareRule,
    Duty,
    EvaluationMonth,
    GridAssignment,
    GridWorker,
    ManualScore,
    Visit,
    WorkerEvaluation,
)

CENT = Decimal("0.01")
WEIGHT_FIELDS = {
    Indicator.DUTY_COMPLETION: "weight_duty_completion",
    Indicator.CARE_ON_TIME: "weight_care_on_time",
    Indicator.CASES_REPORTED: "weight_cases_reported",
    Indicator.RESOLVED_ON_THE_SPOT: "weight_resolved_on_the_spot",
    Indicator.TIMELINESS: "weight_timeliness",
    Indicator.SATISFACTION: "weight_satisfaction",
    Indicator.MANUAL: "weight_manual",
}


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def previous_month(month: dt.date) -> dt.date:
    return month_start(month_start(month) - dt.timedelta(days=1))


def week_of_month(day: dt.date) -> int:
    return (day.day - 1) // 7


def points(weight: int, ratio: Fraction) -> Decimal:
    value = Decimal(weight) * Decimal(ratio.numerator) / Decimal(ratio.denominator)
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def covered(visit_days: list[dt.date], interval: int, first: dt.date, last: dt.date) -> bool:
    """True when every day of [first, last] has a visit within the ``interval`` days before it."""
    reach = first  # the first day not yet known to be covered
    for day in sorted(visit_days):
        if day > reach:
            return False
        reach = max(reach, day + dt.timedelta(days=interval + 1))
        if reach > last:
            return True
    return reach > last


def scheme_snapshot(scheme) -> dict:
    """What a month is computed with; a closed month keeps it."""
    from shanzhi.gridwork.services import SCHEME_OTHER_FIELDS, SCHEME_WEIGHT_FIELDS

    duties = Duty.objects.filter(active=True, for_full_time=True, frequency__in=SCHEDULED_FREQUENCIES)
    rules = CareRule.objects.active().select_related("tag")
    return {
        **{name: getattr(scheme, name) for name in SCHEME_WEIGHT_FIELDS + SCHEME_OTHER_FIELDS},
        "duties": [[d.pk, d.frequency] for d in duties.order_by("number")],
        "care_rules": {r.tag.code: r.interval_days for r in rules.order_by("tag__code")},
    }


@dataclass
class Segment:
    grid_id: int
    first: dt.date
    last: dt.date


@dataclass
class WorkerMonth:
    worker: GridWorker
    township_id: int
    first: dt.date
    last: dt.date
    segments: list[Segment] = field(default_factory=list)
    area_path: str = ""
    grid_names: list[str] = field(default_factory=list)


@dataclass
class Result:
    worker: GridWorker
    township_id: int
    area_path: str
    grid_names: str
    indicators: list[dict]
    total: Decimal
    rank: int = 0
    is_red_flag: bool = False


def _local_day(moment: dt.datetime) -> dt.date:
    return timezone.localtime(moment).date()


def _day_bounds(first: dt.date, last: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    return (
        dt.datetime.combine(first, dt.time.min, tzinfo=tz),
        dt.datetime.combine(last + dt.timedelta(days=1), dt.time.min, tzinfo=tz),
    )


def township_of_worker(worker: GridWorker, month: dt.date) -> Area | None:
    first, last = month_start(month), month_end(month)
    assignment = (
        GridAssignment.objects.overlapping(first, last)
        .filter(worker=worker)
        .select_related("grid")
        .order_by("-start_date", "-is_lead", "-pk")
        .first()
    )
    if assignment is None:
        return None
    return Area.objects.filter(code=assignment.grid.ancestor_code(AreaLevel.TOWNSHIP)).first()


def workers_of_month(first: dt.date, last: dt.date, townships: list[Area]) -> list[WorkerMonth]:
    """Full-time workers who served a grid of ``townships`` during [first, last], with their grids."""
    by_code = {t.code: t for t in townships}
    assignments = (
        GridAssignment.objects.overlapping(first, last)
        .filter(worker__kind=WorkerKind.FULL_TIME)
        .filter(subtree_q("grid__path", [t.path for t in townships]))
        .select_related("worker", "grid")
        .order_by("worker_id", "start_date", "pk")
    )
    grouped: dict[int, list[GridAssignment]] = defaultdict(list)
    for assignment in assignments:
        grouped[assignment.worker_id].append(assignment)
    months = []
    for rows in grouped.values():
        worker = rows[0].worker
        segments = []
        for a in rows:
            seg_first = max(first, a.start_date, worker.start_date)
            seg_last = min(last, (a.end_date - dt.timedelta(days=1)) if a.end_date else last)
            if worker.end_date is not None:
                seg_last = min(seg_last, worker.end_date - dt.timedelta(days=1))
            if seg_first <= seg_last:
                segments.append((a, Segment(a.grid_id, seg_first, seg_last)))
        if not segments:
            continue
        main = max(segments, key=lambda s: (s[0].start_date, s[0].is_lead, s[0].pk))[0]
        township = by_code[main.grid.ancestor_code(AreaLevel.TOWNSHIP)]
        months.append(
            WorkerMonth(
                worker=worker,
                township_id=township.pk,
                first=min(s.first for _a, s in segments),
                last=max(s.last for _a, s in segments),
                segments=[s for _a, s in segments],
                area_path=main.grid.path,
                grid_names=sorted({a.grid.name for a, _s in segments}),
            )
        )
    return months


class MonthData:
    """Every row the month's indicators need, loaded in a handful of queries."""

    def __init__(self, month: dt.date, last: dt.date, workers: list[WorkerMonth], snapshot: dict):
        self.month = month
        self.last = last
        self.workers = workers
        self.snapshot = snapshot
        worker_ids = [w.worker.pk for w in workers]
        first = month
        grid_ids = {s.grid_id for w in workers for s in w.segments}
        duty_ids = [d for d, _f in snapshot["duties"]]

        # The duties the workers' visits of the month covered: worker -> [(duty, day, household)].
        self.covered: dict[int, list[tuple]] = defaultdict(list)
        evaluated = set(worker_ids)
        for worker_id, day, household_id, duty_id in (
            Visit.duties.through.objects.filter(visit__visited_on__range=(first, last), duty_id__in=duty_ids)
            .values_list("visit__worker_id", "visit__visited_on", "visit__household_id", "duty_id")
            .iterator(chunk_size=5000)
        ):
            if worker_id in evaluated:
                self.covered[worker_id].append((duty_id, day, household_id))

        # Households of the grids (registered by the month's end), and the care intervals.
        from shanzhi.people.choices import HouseholdStatus
        from shanzhi.people.models import Household

        # Households as registered when the month is computed (the register is not dated).
        registered = Household.objects.filter(grid_id__in=grid_ids, status=HouseholdStatus.ACTIVE)
        # Households per grid, only when a scheduled duty is counted per household.
        self.households: dict[int, list[int]] = defaultdict(list)
        if any(frequency == DutyFrequency.PER_HOUSEHOLD_MONTHLY for _d, frequency in snapshot["duties"]):
            for household_id, grid_id in registered.values_list("pk", "grid_id"):
                self.households[grid_id].append(household_id)
        rules = snapshot["care_rules"]
        self.care_interval: dict[int, int] = {}
        self.care_households: dict[int, set[int]] = defaultdict(set)
        if rules:
            for household_id, grid_id, code in Household.tags.through.objects.filter(
                household__in=registered, householdtag__code__in=list(rules)
            ).values_list("household_id", "household__grid_id", "householdtag__code"):
                interval = rules[code]
                self.care_interval[household_id] = min(interval, self.care_interval.get(household_id, interval))
                self.care_households[grid_id].add(household_id)
        longest = max(rules.values(), default=0)
        self.care_visits: dict[int, list[dt.date]] = defaultdict(list)
        if self.care_interval:
            care_households = Household.tags.through.objects.filter(
                household__in=registered, householdtag__code__in=list(rules)
            ).values("household_id")
            for household_id, day in Visit.objects.filter(
                kind=VisitKind.HOUSEHOLD,
                household_id__in=care_households,
                visited_on__range=(first - dt.timedelta(days=longest), last),
            ).values_list("household_id", "visited_on"):
                self.care_visits[household_id].append(day)

        self.manual = dict(
            ManualScore.objects.filter(worker_id__in=worker_ids, month=month).values_list("worker_id", "percent")
        )
        self._load_cases(worker_ids, first, last)

    def _load_cases(self, worker_ids, first, last):
        self.cases_reported: dict[int, int] = defaultdict(int)
        self.on_the_spot: dict[int, int] = defaultdict(int)
        self.resolved: dict[int, list[bool]] = defaultdict(list)
        self.follow_ups: dict[int, list[bool]] = defaultdict(list)
        if not apps.is_installed("shanzhi.cases"):
            return
        from shanzhi.cases.choices import EventAction
        from shanzhi.cases.models import Case, CaseEvent

        owner: dict[int, int] = {}
        users = dict(GridWorker.objects.filter(pk__in=worker_ids, user__isnull=False).values_list("user_id", "pk"))
        if users:
            for case_id, reporter_id in Case.objects.filter(reporter_id__in=list(users)).values_list(
                "pk", "reporter_id"
            ):
                owner[case_id] = users[reporter_id]
        evaluated = set(worker_ids)
        for case_id, worker_id in Visit.objects.filter(case__isnull=False).values_list("case_id", "worker_id"):
            if worker_id in evaluated:
                owner[case_id] = worker_id  # raised from the worker's visit
        if not owner:
            return
        start, end = _day_bounds(first, last)
        windows = {w.worker.pk: (w.first, w.last) for w in self.workers}

        def inside(worker_id, moment):
            w_first, w_last = windows[worker_id]
            return w_first <= _local_day(moment) <= w_last

        case_ids = list(owner)
        for case_id, reported_at in Case.objects.filter(
            pk__in=case_ids, reported_at__gte=start, reported_at__lt=end
        ).values_list("pk", "reported_at"):
            if inside(owner[case_id], reported_at):
                self.cases_reported[owner[case_id]] += 1
        events = defaultdict(list)
        for case_id, action, created in (
            CaseEvent.objects.filter(
                case_id__in=case_ids,
                created__lt=end,
                action__in=[
                    EventAction.RESOLVED,
                    EventAction.RESOLVED_ON_THE_SPOT,
                    EventAction.OVERDUE,
                    EventAction.CLOSED,
                    EventAction.REOPENED,
                ],
            )
            .order_by("created", "pk")
            .values_list("case_id", "action", "created")
        ):
            events[case_id].append((action, created))
        for case_id, rows in events.items():
            worker_id = owner[case_id]
            overdue_seen = False
            resolved_counted = False
            for action, created in rows:
                if action == EventAction.OVERDUE:
                    overdue_seen = True
                    continue
                if created < start or not inside(worker_id, created):
                    continue
                if action == EventAction.RESOLVED_ON_THE_SPOT:
                    self.on_the_spot[worker_id] += 1
                if action in (EventAction.RESOLVED, EventAction.RESOLVED_ON_THE_SPOT) and not resolved_counted:
                    self.resolved[worker_id].append(not overdue_seen)
                    resolved_counted = True
                if action in (EventAction.CLOSED, EventAction.REOPENED):
                    self.follow_ups[worker_id].append(action == EventAction.CLOSED)


def _ratio_indicator(code, weight, done, due, *, note_empty="") -> dict:
    if due == 0:
        ratio = Fraction(1)
        raw = "—"
        note = note_empty
    else:
        ratio = Fraction(done, due)
        raw = f"{done}/{due}"
        note = ""
    return _indicator(code, weight, ratio, raw, done, due, note)


def _indicator(code, weight, ratio: Fraction, raw: str, numerator, denominator, note: str = "") -> dict:
    return {
        "code": str(code),
        "weight": weight,
        "raw": raw,
        "numerator": numerator,
        "denominator": denominator,
        "ratio": round(float(ratio), 4),
        "points": str(points(weight, ratio)),
        "note": note,
    }


def _duty_completion(wm: WorkerMonth, data: MonthData) -> tuple[int, int]:
    covering: dict[int, list[tuple]] = defaultdict(list)  # duty -> [(day, household_id)]
    for duty_id, day, household_id in data.covered.get(wm.worker.pk, ()):
        covering[duty_id].append((day, household_id))
    served_days = set()
    for segment in wm.segments:
        served_days.update(segment.first + dt.timedelta(days=i) for i in range((segment.last - segment.first).days + 1))
    done_total = due_total = 0
    for duty_id, frequency in data.snapshot["duties"]:
        rows = covering.get(duty_id, [])
        days_done = {d for d, _h in rows if d in served_days}
        if frequency == DutyFrequency.DAILY:
            due, done = len(served_days), len(days_done)
        elif frequency == DutyFrequency.WEEKLY:
            due = len({week_of_month(d) for d in served_days})
            done = len({week_of_month(d) for d in days_done})
        elif frequency == DutyFrequency.MONTHLY:
            due, done = 1, 1 if days_done else 0
        else:  # each household monthly: the households of each grid while it was served
            due = done = 0
            for segment in wm.segments:
                households = set(data.households.get(segment.grid_id, ()))
                due += len(households)
                done += len({h for d, h in rows if h in households and segment.first <= d <= segment.last})
        due_total += due
        done_total += done
    return done_total, due_total


def _care_on_time(wm: WorkerMonth, data: MonthData) -> tuple[int, int]:
    on_time = total = 0
    for segment in wm.segments:
        for household_id in sorted(data.care_households.get(segment.grid_id, ())):
            interval = data.care_interval[household_id]
            total += 1
            if covered(data.care_visits.get(household_id, []), interval, segment.first, segment.last):
                on_time += 1
    return on_time, total


def compute(month: dt.date, townships: list[Area], snapshot: dict, *, today: dt.date | None = None) -> list[Result]:
    """The results of ``month`` for ``townships``, computed from the rows; nothing is written."""
    today = today or timezone.localdate()
    month = month_start(month)
    last = min(month_end(month), today)
    if month > today:
        raise InvalidInput(fields={"month": _("The month has not begun yet.")})
    workers = workers_of_month(month, last, townships)
    data = MonthData(month, last, workers, snapshot)
    weights = {code: snapshot[field_name] for code, field_name in WEIGHT_FIELDS.items()}
    results = []
    for wm in workers:
        wid = wm.worker.pk
        indicators = []
        done, due = _duty_completion(wm, data)
        indicators.append(
            _ratio_indicator(
                Indicator.DUTY_COMPLETION, weights[Indicator.DUTY_COMPLETION], done, due, note_empty=_("No duty due")
            )
        )
        on_time, total = _care_on_time(wm, data)
        indicators.append(
            _ratio_indicator(
                Indicator.CARE_ON_TIME,
                weights[Indicator.CARE_ON_TIME],
                on_time,
                total,
                note_empty=_("No household on the care list"),
            )
        )
        for code, count, target in (
            (Indicator.CASES_REPORTED, data.cases_reported.get(wid, 0), snapshot["target_cases_reported"]),
            (Indicator.RESOLVED_ON_THE_SPOT, data.on_the_spot.get(wid, 0), snapshot["target_resolved_on_the_spot"]),
        ):
            ratio = min(Fraction(count, target), Fraction(1))
            indicators.append(_indicator(code, weights[code], ratio, f"{count}/{target}", count, target))
        resolved = data.resolved.get(wid, [])
        indicators.append(
            _ratio_indicator(
                Indicator.TIMELINESS,
                weights[Indicator.TIMELINESS],
                sum(resolved),
                len(resolved),
                note_empty=_("No case resolved this month: nothing to deduct"),
            )
        )
        follow_ups = data.follow_ups.get(wid, [])
        indicators.append(
            _ratio_indicator(
                Indicator.SATISFACTION,
                weights[Indicator.SATISFACTION],
                sum(follow_ups),
                len(follow_ups),
                note_empty=_("No follow-up this month: nothing to deduct"),
            )
        )
        percent = data.manual.get(wid)
        indicators.append(
            _indicator(
                Indicator.MANUAL,
                weights[Indicator.MANUAL],
                Fraction(percent or 0, 100),
                f"{percent}%" if percent is not None else "—",
                percent or 0,
                100,
                "" if percent is not None else _("Not scored by the township"),
            )
        )
        total_points = sum((Decimal(i["points"]) for i in indicators), Decimal("0.00"))
        results.append(
            Result(
                worker=wm.worker,
                township_id=wm.township_id,
                area_path=wm.area_path,
                grid_names="、".join(wm.grid_names)[:255],
                indicators=indicators,
                total=total_points,
            )
        )
    rank_results(results, snapshot["red_flags_per_township"])
    return results


def rank_results(results: list[Result], red_flags: int) -> None:
    by_township: dict[int, list[Result]] = defaultdict(list)
    for result in results:
        by_township[result.township_id].append(result)
    for rows in by_township.values():
        keys = {id(r): rank_key(r) for r in rows}
        rows.sort(key=lambda r: (tuple(-v for v in keys[id(r)]), r.worker.pk))
        for result in rows:
            mine = keys[id(result)]
            result.rank = 1 + sum(1 for other in rows if keys[id(other)] > mine)
            result.is_red_flag = result.rank <= red_flags and result.total > 0


def rank_key(result: Result) -> tuple:
    """The total first; equal totals are told apart by the indicators' points in the scheme's order."""
    by_code = {i["code"]: Decimal(i["points"]) for i in result.indicators}
    return (result.total, *(by_code.get(str(code), Decimal(0)) for code in INDICATOR_ORDER))


def _townships(townships) -> list[Area]:
    if townships is None:
        return list(Area.objects.current().filter(level=AreaLevel.TOWNSHIP).order_by("path"))
    return list(townships)


@transaction.atomic
def run_month(
    month: dt.date, *, townships=None, close: bool = False, actor=None, today: dt.date | None = None
) -> list[EvaluationMonth]:
    """Compute (and optionally close) ``month`` for each township; closed months are left alone."""
    from shanzhi.gridwork.services import current_scheme

    today = today or timezone.localdate()
    month = month_start(month)
    if close and month_end(month) >= today:
        raise InvalidInput(fields={"month": _("A month can only be closed after it has ended.")}, code="month_not_over")
    townships = _townships(townships)
    existing = {
        e.township_id: e
        for e in EvaluationMonth.objects.select_for_update().filter(month=month, township__in=townships)
    }
    open_townships = [t for t in townships if not (t.pk in existing and existing[t.pk].is_closed)]
    if not open_townships:
        return [existing[t.pk] for t in townships]
    snapshot = scheme_snapshot(current_scheme())
    results = compute(month, open_townships, snapshot, today=today)
    by_township: dict[int, list[Result]] = defaultdict(list)
    for result in results:
        by_township[result.township_id].append(result)
    now = timezone.now()
    touched = []
    for township in open_townships:
        evaluation = existing.get(township.pk) or EvaluationMonth(township=township, month=month)
        evaluation.scheme = snapshot
        evaluation.workers_count = len(by_township[township.pk])
        evaluation.computed_at = now
        if close:
            evaluation.status = EvaluationStatus.CLOSED
            evaluation.closed_at = now
            evaluation.closed_by = actor if actor is not None and actor.is_authenticated else None
        evaluation.save()
        if evaluation.pk in {e.pk for e in existing.values()}:
            WorkerEvaluation.objects.filter(evaluation=evaluation).delete()
        rows = []
        for result in sorted(by_township[township.pk], key=lambda r: (r.rank, r.worker.pk)):
            number = ""
            if close and result.is_red_flag:
                number = f"HQ{month:%Y%m}-{township.code[-3:]}-{result.rank:02d}{result.worker.pk % 100:02d}"
            rows.append(
                WorkerEvaluation(
                    evaluation=evaluation,
                    worker=result.worker,
                    area_path=result.area_path,
                    grid_names=result.grid_names,
                    indicators=result.indicators,
                    total=result.total,
                    rank=result.rank,
                    is_red_flag=result.is_red_flag,
                    certificate_number=number,
                )
            )
        WorkerEvaluation.objects.bulk_create(rows, batch_size=500)
        touched.append(evaluation)
    audit.record(
        "gridwork.evaluation.closed" if close else "gridwork.evaluation.computed",
        actor=actor,
        object_type="gridwork.evaluationmonth",
        object_id=",".join(str(e.pk) for e in touched)[:64],
        object_repr=f"{month:%Y-%m}",
        townships=[t.code for t in open_townships],
        workers=len(results),
        red_flags=sum(1 for r in results if r.is_red_flag),
    )
    return [existing.get(t.pk) or next(e for e in touched if e.township_id == t.pk) for t in townships]


def close_month(evaluation: EvaluationMonth, *, actor=None, today: dt.date | None = None) -> EvaluationMonth:
    if evaluation.is_closed:
        raise Conflict(_("This month is already closed."), code="evaluation_closed")
    run_month(evaluation.month, townships=[evaluation.township], close=True, actor=actor, today=today)
    evaluation.refresh_from_db()
    return evaluation


def recompute(evaluation: EvaluationMonth) -> list[str]:
    """Compute a stored month again from the rows with its own scheme; the differences, if any."""
    if evaluation.is_closed or evaluation.computed_at is None:
        as_of = month_end(evaluation.month)
    else:
        as_of = _local_day(evaluation.computed_at)
    results = compute(evaluation.month, [evaluation.township], evaluation.scheme, today=as_of)
    stored = {r.worker_id: r for r in evaluation.results.all()}
    differences = []
    fresh = {r.worker.pk: r for r in results}
    for worker_id in sorted(set(stored) | set(fresh)):
        old, new = stored.get(worker_id), fresh.get(worker_id)
        if old is None or new is None:
            differences.append(f"worker {worker_id}: {'added' if old is None else 'missing'}")
            continue
        if old.total != new.total or old.rank != new.rank or old.is_red_flag != new.is_red_flag:
            differences.append(f"worker {worker_id}: {old.total}/{old.rank} != {new.total}/{new.rank}")
        elif old.indicators != new.indicators:
            differences.append(f"worker {worker_id}: indicators differ")
    return differences


def monthly_run(*, today: dt.date | None = None, actor=None) -> dict:
    """What the worker process runs daily: close last month once due, keep drafts fresh."""
    from shanzhi.gridwork.services import current_scheme

    today = today or timezone.localdate()
    this_month = month_start(today)
    last_month = previous_month(this_month)
    scheme = current_scheme()
    close = today.day >= scheme.close_on_day
    done = {"closed": [], "computed": []}
    for evaluation in run_month(last_month, close=close, actor=actor, today=today):
        done["closed" if evaluation.is_closed else "computed"].append(str(evaluation))
    for evaluation in run_month(this_month, close=False, actor=actor, today=today):
        done["computed"].append(str(evaluation))
    return done


def indicator_label(code: str) -> str:
    try:
        return str(Indicator(code).label)
    except ValueError:
        return code


def ordered(indicators: list[dict]) -> list[dict]:
    order = {str(c): i for i, c in enumerate(INDICATOR_ORDER)}
    return sorted(indicators, key=lambda i: order.get(i["code"], 99))

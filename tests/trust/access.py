"""Who may reach what: the declared expectation for every page route and API operation.

Read a row as: "the personas in ``allow`` get ``ok`` on an object of their own place
(``HOME`` in tests/trust/world.py); everybody else gets 403 or 404 (``deny``), and the
anonymous visitor is sent to the login page (pages) or gets 401 (API)".

* Rows with ``scoped=False`` have no place: ``allow`` alone decides.
* ``public=True``: everybody, including the anonymous visitor, gets ``ok``.
* ``params`` name the object kind (a key of ``World.objects``) or a literal value for each
  path parameter; ``API_PARAM_KINDS`` / ``PAGE_PARAM_VALUES`` hold the defaults.
* Write operations (POST/PUT/PATCH/DELETE) send ``body`` (a dict, or a function of the
  world and the place); a denied write must also write nothing.

A route or operation without a row fails tests/trust/test_access_matrix.py: a new
endpoint gets its row here in the same change (docs/development.md, "Hooks").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

# --- personas, grouped the way roles.py grants permissions ---------------------------
COUNTY = {"county_admin"}
TOWNSHIPS = {"township_officer", "other_township_officer"}
SECRETARIES = {"village_secretary", "other_village_secretary"}
GRID = {"grid_worker"}
DEPARTMENT = {"department_handler"}
VILLAGERS = {"villager", "other_villager"}
OUTSIDER = {"outsider"}

AREA_STAFF = COUNTY | TOWNSHIPS | SECRETARIES | GRID  # people.* writers, case reporters on the spot
STAFF = AREA_STAFF | DEPARTMENT
TRIAGE = COUNTY | TOWNSHIPS  # cases.triage_case, gridwork township, points township
VILLAGE_RUNNERS = COUNTY | SECRETARIES  # deliberation.run_*, points village
SIGNED_IN = STAFF | VILLAGERS | OUTSIDER
EVERYONE_SIGNED_IN = SIGNED_IN


@dataclass(frozen=True)
class Rule:
    allow: frozenset = frozenset()
    ok: Any = 200
    scoped: bool = True
    public: bool = False
    anonymous: int | None = None
    deny: frozenset | None = None
    params: dict = field(default_factory=dict)
    path: Any = None
    query: Any = None
    body: Any = None
    home: dict | None = None  # persona -> places, overriding HOME for this row

    def has_object(self, route: str) -> bool:
        return self.scoped and ("<" in route or self.path is not None or self.query is not None)


def R(allow=(), ok=200, **kw) -> Rule:  # noqa: N802 - reads like a table
    return Rule(allow=frozenset(allow), ok=ok, **kw)


# Default values for path parameters.
API_PARAM_KINDS = {
    "area_id": "grid",
    "household_id": "household",
    "resident_id": "resident",
    "entry_id": "entry",
    "appeal_id": "appeal",
    "redemption_id": "redemption",
    "code": lambda w, p: w.obj("honour", p).verify_code,
    "venue_id": "venue",
    "topic_id": "topic",
    "attachment_id": "topic_attachment",
    "meeting_id": "meeting",
    "decision_id": "decision",
    "action_id": "action",
    "village_id": "village",
    "case_id": "case",
    "worker_id": "worker",
    "assignment_id": "assignment",
    "duty_id": "duty",
    "visit_id": "visit",
    "tag_code": "elderly_alone",
    "evaluation_id": "evaluation",
    "kind": "households",
    "job_id": "import_job",
}
PAGE_PARAM_VALUES = {
    "action": "accept",
    "village_id": "village",
    "result_pk": "evaluation_result",
    "item_id": "item",
    "fmt": "xlsx",
    "kind": "households",
    "object_id": "1",
    "content_type_id": "1",
    "id": "1",
}

OPEN311 = {"fmt": "json", "code": "infrastructure", "number": lambda w, p: w.obj("case", p).number}
VILLAGE_Q = lambda w, p: f"village={w.obj('village', p).pk}"  # noqa: E731
AREA_Q = lambda w, p: f"area={w.obj('village', p).pk}"  # noqa: E731
# Create operations name their place in the body: a place outside the caller's scope is a field error (422)
# or a refusal (403/404); either way nothing is written.
IN_BODY = {403, 404, 422}
CASE_BODY = lambda w, p: {"title": "村道破损", "description": "路面破损约一米,请修补。", "category": "infrastructure",  # noqa: E731
                          "grid": w.obj("grid", p).pk}
VISIT_BODY = lambda w, p: {"kind": "household", "purpose": "information", "grid": w.obj("grid", p).pk,  # noqa: E731
                           "household": w.obj("household", p).pk, "notes": "入户走访"}
HOUSEHOLD_BODY = lambda w, p: {"number": f"TRUST-{p}", "grid": w.obj("grid", p).pk, "address": "测试地址"}  # noqa: E731
TOPIC_BODY = lambda w, p: {"title": "修缮村道", "topic_class": "livelihood", "village": w.obj("village", p).pk}  # noqa: E731
ENTRY_BODY = lambda w, p: {"households": [w.obj("household", p).pk], "rule": w.obj("rule", p).pk}  # noqa: E731
# Township-level records are seen by the village secretaries of every village of the township.
TOWNSHIP_WIDE = {"other_village_secretary": {"near"}}

PAGES: dict[str, Rule] = {}
API: dict[str, Rule] = {}

PAGES.update({
    # Django's admin: staff only (county administrators); everybody else is sent to the admin login.
    'admin/*': R(COUNTY, ok={200, 302, 403, 404, 405}, deny={302}, scoped=False,
                 params={"object_id": "1", "content_type_id": "1", "id": "1"}),
    'admin/login/': R(public=True, ok={200, 302}),  # staff already signed in are sent on
    'admin/logout/': R((), deny={302, 405}, anonymous=302),
    'admin/^(?P<app_label>*': R(COUNTY, ok={200, 302}, deny={302}, scoped=False, path="/admin/people/"),  # app index
    'admin/(?P<url>.*)$': R(COUNTY, ok={200, 302, 404}, deny={302}, scoped=False, path="/admin/no-such-page/"),
    '': R(SIGNED_IN),
    'accounts/history/': R(SIGNED_IN),
    'accounts/login/': R(SIGNED_IN, ok=302, anonymous=200),
    'accounts/login/verify/': R((), deny={302}),
    'accounts/logout/': R((), deny={405}, anonymous=405),  # POST only
    'accounts/password/': R(SIGNED_IN),
    'accounts/two-factor/': R(SIGNED_IN),
    'api/v1/': R((), deny={404}, anonymous=404),
    'areas/': R(SIGNED_IN),
    'areas/<int:pk>/': R(TRIAGE | GRID | {'village_secretary'}, params={"pk": "grid"}),
    'audit/': R(COUNTY),
    'audit/<int:pk>/': R(COUNTY, params={"pk": "audit_row"}),
    'cases/': R(STAFF | VILLAGERS),
    'cases/<int:pk>/': R(TRIAGE | GRID | DEPARTMENT | {'village_secretary', 'villager'}, params={"pk": "case"}),
    'cases/<int:pk>/steps/<slug:action>/': R((), deny={405}, params={"pk": "case"}),
    'cases/attachments/<int:pk>/': R(TRIAGE | GRID | DEPARTMENT | {'village_secretary', 'villager'}, params={"pk": "case_attachment"}),
    'cases/follow-up/': R(TRIAGE),
    'cases/households/': R(AREA_STAFF | VILLAGERS),
    'cases/inbox/': R(DEPARTMENT),
    'cases/new/': R(AREA_STAFF | VILLAGERS),
    'cases/notifications/': R(SIGNED_IN),
    'cases/notifications/<int:pk>/': R(TOWNSHIPS, ok=302, params={"pk": "notification"}),
    'cases/queue/': R(TRIAGE),
    'cases/settings/calendar/': R(COUNTY),
    'cases/settings/open311/': R(COUNTY),
    'cases/supervision/': R(COUNTY),
    'dashboard/': R(VILLAGE_RUNNERS | TOWNSHIPS),
    'dashboard/exports/': R((), deny={405}),
    'dashboard/map/': R(VILLAGE_RUNNERS | TOWNSHIPS),
    'dashboard/map/grids.geojson': R(VILLAGE_RUNNERS | TOWNSHIPS),
    'dashboard/map/grids/<int:pk>/': R(VILLAGE_RUNNERS | TRIAGE, params={"pk": "grid"}),
    'dashboard/reports/': R(VILLAGE_RUNNERS | TOWNSHIPS),
    'dashboard/reports/<int:pk>/': R((), deny={404}, params={"pk": "999999"}, scoped=False),  # no report job in the world yet
    'dashboard/reports/<int:pk>/download/': R((), deny={404}, params={"pk": "999999"}, scoped=False),
    'dashboard/scorecard/': R(VILLAGE_RUNNERS | TOWNSHIPS),
    'dashboard/screen/': R(VILLAGE_RUNNERS | TOWNSHIPS),
    'dashboard/screen/data.json': R(VILLAGE_RUNNERS | TOWNSHIPS),
    'deliberation/': R(AREA_STAFF | VILLAGERS, ok={200, 302}),  # some roles are sent on to their own page
    'deliberation/actions/': R(AREA_STAFF),
    'deliberation/actions/<int:pk>/': R(TRIAGE | GRID | {'village_secretary'}, params={"pk": "action"}),
    'deliberation/board/': R(AREA_STAFF | VILLAGERS, ok={200, 302}),  # some roles are sent on to their own page
    'deliberation/board/<int:village_id>/': R(TRIAGE | VILLAGERS | GRID | {'village_secretary'}),
    'deliberation/board/<int:village_id>/print/': R(TRIAGE | VILLAGERS | GRID | {'village_secretary'}),
    'deliberation/files/<slug:kind>/<int:pk>/': R(TRIAGE | VILLAGERS | GRID | {'village_secretary'}, params={"pk": "topic_attachment", "kind": "attachment"}),
    'deliberation/meetings/': R(AREA_STAFF),
    'deliberation/meetings/<int:pk>/': R(TRIAGE | {'village_secretary'}, params={"pk": "meeting"}),
    'deliberation/meetings/<int:pk>/minutes/': R(TRIAGE | {'village_secretary'}, params={"pk": "meeting"}),
    'deliberation/meetings/new/': R(VILLAGE_RUNNERS),
    'deliberation/topics/': R(AREA_STAFF),
    'deliberation/topics/<int:pk>/': R(TRIAGE | GRID | {'village_secretary'}, params={"pk": "topic"}),
    'deliberation/topics/<int:pk>/<slug:action>/': R((), deny={405}, params={"pk": "topic"}),
    'deliberation/topics/mine/': R(AREA_STAFF | VILLAGERS),
    'deliberation/topics/new/': R(AREA_STAFF | VILLAGERS),
    'deliberation/venues/': R(AREA_STAFF),
    'deliberation/venues/<int:pk>/edit/': R(COUNTY | {'village_secretary'}, params={"pk": "venue"}),
    'deliberation/venues/new/': R(VILLAGE_RUNNERS),
    'deliberation/villages/<int:village_id>/quorum/': R(TRIAGE | {'village_secretary'}),
    'field/': R(SECRETARIES | GRID),
    'field/manifest.webmanifest': R(public=True),
    'field/sw.js': R(public=True),
    'gridwork/': R(STAFF),
    'gridwork/care/': R(STAFF),
    'gridwork/care/rules/': R(STAFF),
    'gridwork/duties/': R(STAFF),
    'gridwork/duties/<int:pk>/edit/': R(COUNTY, params={"pk": "duty"}),
    'gridwork/duties/new/': R(COUNTY),
    'gridwork/evaluations/': R(STAFF),
    'gridwork/evaluations/<int:pk>/': R({'other_village_secretary'} | TRIAGE | GRID | {'village_secretary'}, params={"pk": "evaluation"}, home=TOWNSHIP_WIDE),  # a township's month: every village of it sees it
    'gridwork/evaluations/<int:pk>/close/': R((), deny={405}, params={"pk": "evaluation"}),
    'gridwork/evaluations/<int:pk>/compute/': R((), deny={405}, params={"pk": "evaluation"}),
    'gridwork/evaluations/<int:pk>/results/<int:result_pk>/': R({'other_village_secretary'} | TRIAGE | GRID | {'village_secretary'}, params={"pk": "evaluation"}, home=TOWNSHIP_WIDE),  # a township's month: every village of it sees it
    'gridwork/evaluations/run/': R((), deny={405}),
    'gridwork/evaluations/scheme/': R(STAFF),
    'gridwork/photos/<int:pk>/': R(TRIAGE | GRID | {'village_secretary'}, params={"pk": "visit_photo"}),
    'gridwork/red-flags/': R(STAFF),
    'gridwork/red-flags/<int:pk>/certificate.pdf': R({'other_village_secretary'} | TRIAGE | GRID | {'village_secretary'}, params={"pk": "red_flag"}, home=TOWNSHIP_WIDE),  # a township's month: every village of it sees it
    'gridwork/visits/': R(STAFF),
    'gridwork/visits/<int:pk>/': R(TRIAGE | GRID | {'village_secretary'}, params={"pk": "visit"}),
    'gridwork/visits/<int:pk>/case/': R(TRIAGE | GRID, params={"pk": "visit"}),
    'gridwork/visits/new/': R(GRID),
    'gridwork/workers/<int:pk>/': R(TRIAGE | GRID | {'village_secretary'}, params={"pk": "worker"}),
    'gridwork/workers/<int:pk>/assign/': R(TRIAGE, params={"pk": "worker"}),
    'gridwork/workers/<int:pk>/edit/': R(TRIAGE, params={"pk": "worker"}),
    'gridwork/workers/<int:pk>/leave/': R(TRIAGE, params={"pk": "worker"}),
    'gridwork/workers/<int:pk>/transfer/': R(TRIAGE, params={"pk": "worker"}),
    'gridwork/workers/new/': R(TRIAGE),
    'healthz': R(public=True),
    'households/': R(STAFF),
    'households/<int:pk>/': R(TRIAGE | VILLAGERS | GRID | {'village_secretary'}, params={"pk": "household"}),
    'households/<int:pk>/edit/': R(TRIAGE | GRID | {'village_secretary'}, params={"pk": "household"}),
    'households/<int:pk>/residents/new/': R(TRIAGE | GRID | {'village_secretary'}, params={"pk": "household"}),
    'households/new/': R(AREA_STAFF),
    'households/residents/<int:pk>/edit/': R(TRIAGE | GRID | {'village_secretary'}, params={"pk": "resident"}),
    'i18n/setlang/': R(public=True, ok=302),
    'imports/': R(VILLAGE_RUNNERS | TOWNSHIPS),
    'imports/<int:pk>/': R(COUNTY | {'other_township_officer', 'village_secretary'}, params={"pk": "import_job"}),
    'imports/<int:pk>/check/': R((), deny={405}, params={"pk": "import_job"}),
    'imports/<int:pk>/commit/': R((), deny={405}, params={"pk": "import_job"}),
    'imports/<int:pk>/mapping/': R((), deny={405}, params={"pk": "import_job"}),
    'imports/<int:pk>/rejected.xlsx': R((), params={"pk": "import_job"}),
    'imports/exports/<str:kind>.<str:fmt>': R({'other_village_secretary'} | TRIAGE | {'village_secretary'}, scoped=False),  # the export holds the caller's own scope
    'imports/templates/<str:kind>.<str:fmt>': R({'other_village_secretary'} | TRIAGE | {'village_secretary'}, scoped=False),  # the export holds the caller's own scope
    'imports/upload/': R((), deny={405}),
    'jsi18n/': R(public=True),
    'open311/v2/requests.<str:fmt>': R(public=True, params=OPEN311),  # GeoReport v2 is public by design
    'open311/v2/requests/<str:number>.<str:fmt>': R((), deny={404}, anonymous=404, params=OPEN311),  # only Open311-reported cases
    'open311/v2/services.<str:fmt>': R(public=True, params=OPEN311),  # GeoReport v2 is public by design
    'open311/v2/services/<slug:code>.<str:fmt>': R(public=True, params=OPEN311),  # GeoReport v2 is public by design
    'points/': R(STAFF | VILLAGERS, ok={200, 302}),  # some roles are sent on to their own page
    'points/appeals/': R(STAFF),
    'points/appeals/<int:pk>/decide/': R((), deny={405}, params={"pk": "appeal"}),
    'points/areas/<int:pk>/rules/new/': R(COUNTY | {'village_secretary'}, params={"pk": "village"}),
    'points/areas/<int:pk>/shop/new/': R(COUNTY | TOWNSHIPS | {'village_secretary'}, ok=302, params={"pk": "village"}),
    'points/awards/<int:pk>/': R(TRIAGE | VILLAGERS | {'village_secretary'}, params={"pk": "award"}),
    'points/dividends/': R(STAFF),
    'points/dividends/<int:pk>/': R(TRIAGE | {'village_secretary'}, params={"pk": "dividend"}),
    'points/dividends/<int:pk>/export.xlsx': R(TRIAGE | {'village_secretary'}, params={"pk": "dividend"}),
    'points/entries/<int:pk>/': R(TRIAGE | VILLAGERS | {'village_secretary'}, params={"pk": "entry"}),
    'points/entries/<int:pk>/appeal/': R(TRIAGE | VILLAGERS | {'village_secretary'}, params={"pk": "entry"}),
    'points/entries/<int:pk>/approve/': R((), deny={405}, params={"pk": "entry"}),
    'points/entries/<int:pk>/decline/': R((), deny={405}, params={"pk": "entry"}),
    'points/entries/<int:pk>/reverse/': R((), deny={405}, params={"pk": "entry"}),
    'points/entries/new/': R(VILLAGE_RUNNERS | GRID),
    'points/honours/': R(STAFF),
    'points/honours/<int:pk>/signboard.pdf': R(TRIAGE | GRID | {'village_secretary'}, params={"pk": "honour"}),
    'points/honours/campaigns/<int:pk>/': R({'other_village_secretary'} | TRIAGE | GRID | {'village_secretary'}, params={"pk": "campaign"}, scoped=False),  # a county-wide campaign
    'points/honours/verify/<str:code>/': R(public=True, params={"code": lambda w, p: w.obj("honour", p).verify_code}),  # QR on the signboard
    'points/me/': R(VILLAGERS),
    'points/pending/': R(STAFF),
    'points/rankings/': R(VILLAGE_RUNNERS | VILLAGERS | TOWNSHIPS),
    'points/redemptions/<int:pk>/': R(TRIAGE | VILLAGERS | {'village_secretary'}, params={"pk": "redemption"}),
    'points/rules/<int:pk>/edit/': R(COUNTY | {'village_secretary'}, params={"pk": "rule"}),
    'points/shops/<int:pk>/': R(TRIAGE | VILLAGERS | {'village_secretary'}, params={"pk": "shop"}),
    'points/shops/<int:pk>/counter/': R(TRIAGE | {'village_secretary'}, params={"pk": "shop"}),
    'points/shops/<int:pk>/items/<int:item_id>/': R(TRIAGE | {'village_secretary'}, params={"pk": "shop"}),
    'points/shops/<int:pk>/items/new/': R(TRIAGE | {'village_secretary'}, params={"pk": "shop"}),
    'points/templates/': R(STAFF),
    'points/villages/<int:pk>/': R(TRIAGE | VILLAGERS | {'village_secretary'}, params={"pk": "village"}),
    'points/villages/<int:pk>/awards/': R(TRIAGE | VILLAGERS | {'village_secretary'}, params={"pk": "village"}),
    'points/villages/<int:pk>/notice/': R(TRIAGE | VILLAGERS | {'village_secretary'}, params={"pk": "village"}),
    'points/villages/<int:pk>/ledger/': R(TRIAGE | {'village_secretary'}, params={"pk": "village"}),  # staff only
    'points/villages/<int:pk>/rules/': R(TRIAGE | VILLAGERS | {'village_secretary'}, params={"pk": "village"}),
})
API.update({
    'DELETE /api/v1/deliberation/meetings/{meeting_id}/agenda/{topic_id}': R(COUNTY | {'village_secretary'}, ok=409),  # the demo meeting is closed
    'GET /api/v1/areas': R(SIGNED_IN),
    'GET /api/v1/areas/{area_id}': R(TRIAGE | GRID | {'village_secretary'}),
    'GET /api/v1/auth/me': R(SIGNED_IN),
    'GET /api/v1/case-attachments/{attachment_id}': R(TRIAGE | GRID | DEPARTMENT | {'village_secretary', 'villager'},
                                                      params={"attachment_id": "case_attachment"}),
    'GET /api/v1/case-categories': R(SIGNED_IN),
    'GET /api/v1/cases': R(STAFF | VILLAGERS),
    'GET /api/v1/cases/{case_id}': R(TRIAGE | GRID | DEPARTMENT | {'village_secretary', 'villager'}),
    'GET /api/v1/deliberation/actions': R(AREA_STAFF),
    'GET /api/v1/deliberation/actions/{action_id}': R(TRIAGE | GRID | {'village_secretary'}),
    'GET /api/v1/deliberation/boards': R(SIGNED_IN),
    'GET /api/v1/deliberation/boards/{village_id}': R(TRIAGE | VILLAGERS | GRID | {'village_secretary'}),
    'GET /api/v1/deliberation/decisions/{decision_id}': R(TRIAGE | GRID | {'village_secretary'}),
    'GET /api/v1/deliberation/meetings': R(AREA_STAFF),
    'GET /api/v1/deliberation/meetings/{meeting_id}': R(TRIAGE | {'village_secretary'}),
    'GET /api/v1/deliberation/meetings/{meeting_id}/minutes/versions': R(TRIAGE | {'village_secretary'}),
    'GET /api/v1/deliberation/meetings/{meeting_id}/sign-in-sheet': R(()),
    'GET /api/v1/deliberation/topics': R(AREA_STAFF | VILLAGERS),
    'GET /api/v1/deliberation/topics/{topic_id}': R(TRIAGE | GRID | {'village_secretary'}),
    'GET /api/v1/deliberation/topics/{topic_id}/attachments/{attachment_id}': R(TRIAGE | GRID | VILLAGERS | {'village_secretary'}, params={"topic_id": lambda w, p: w.obj("topic_attachment", p).topic_id}),
    'GET /api/v1/deliberation/venues': R(AREA_STAFF),
    'GET /api/v1/deliberation/venues/{venue_id}': R(TRIAGE | {'village_secretary'}),
    'GET /api/v1/deliberation/venues/{venue_id}/photo': R(()),
    'GET /api/v1/deliberation/villages/{village_id}/quorum-rule': R(TRIAGE | {'village_secretary'}),
    'GET /api/v1/field/snapshot': R(SECRETARIES | GRID),
    'GET /api/v1/gridwork/care/overdue': R(STAFF),
    'GET /api/v1/gridwork/care/rules': R(STAFF),
    'GET /api/v1/gridwork/duties': R(STAFF),
    'GET /api/v1/gridwork/evaluation-scheme': R(STAFF),
    'GET /api/v1/gridwork/evaluations': R(STAFF),
    'GET /api/v1/gridwork/evaluations/{evaluation_id}': R({'other_village_secretary'} | TRIAGE | GRID | {'village_secretary'}, home=TOWNSHIP_WIDE),  # a township's month: every village of it sees it
    'GET /api/v1/gridwork/red-flags': R(STAFF),
    'GET /api/v1/gridwork/roster': R(STAFF),
    'GET /api/v1/gridwork/today': R(GRID),
    'GET /api/v1/gridwork/visits': R(STAFF),
    'GET /api/v1/gridwork/visits/{visit_id}': R(TRIAGE | GRID | {'village_secretary'}),
    'GET /api/v1/gridwork/workers': R(STAFF),
    'GET /api/v1/gridwork/workers/{worker_id}': R(TRIAGE | GRID | {'village_secretary'}),
    'GET /api/v1/households': R(SIGNED_IN),
    'GET /api/v1/households/{household_id}': R(TRIAGE | VILLAGERS | GRID | {'village_secretary'}),
    'GET /api/v1/households/{household_id}/points': R(TRIAGE | VILLAGERS | GRID | {'village_secretary'}),
    'GET /api/v1/households/{household_id}/points/entries': R(TRIAGE | VILLAGERS | GRID | {'village_secretary'}),
    'GET /api/v1/imports': R(VILLAGE_RUNNERS | TOWNSHIPS),
    'GET /api/v1/imports/exports/{kind}': R({'other_village_secretary'} | TRIAGE | {'village_secretary'}, scoped=False),  # the export holds the caller's own scope
    'GET /api/v1/imports/kinds': R(SIGNED_IN),
    'GET /api/v1/imports/templates/{kind}': R({'other_village_secretary'} | TRIAGE | {'village_secretary'}, scoped=False),  # the export holds the caller's own scope
    'GET /api/v1/imports/{job_id}': R(COUNTY | {'other_township_officer', 'village_secretary'}),
    'GET /api/v1/imports/{job_id}/rejected.xlsx': R(()),
    'GET /api/v1/notifications': R(SIGNED_IN),
    'GET /api/v1/points/honours/verify/{code}': R(public=True),
    'GET /api/v1/points/rankings': R(VILLAGE_RUNNERS | TOWNSHIPS, query=AREA_Q),  # villagers rank on the page
    'GET /api/v1/points/rules': R(TRIAGE | VILLAGERS | {'village_secretary'}, query=VILLAGE_Q),
    'GET /api/v1/residents/{resident_id}': R(TRIAGE | VILLAGERS | GRID | {'village_secretary'}),
    'GET /api/v1/shop/items': R(TRIAGE | VILLAGERS | {'village_secretary'}, query=VILLAGE_Q),
    'GET /api/v1/stats/map': R(VILLAGE_RUNNERS | TOWNSHIPS),
    'GET /api/v1/stats/overview': R(SIGNED_IN),
    'GET /api/v1/stats/reports': R(SIGNED_IN),
    'GET /api/v1/stats/reports/{job_id}': R(()),
    'GET /api/v1/stats/reports/{job_id}/file': R(()),
    'GET /api/v1/stats/return': R(VILLAGE_RUNNERS | TOWNSHIPS),
    'GET /api/v1/stats/scorecard': R(VILLAGE_RUNNERS | TOWNSHIPS),
    'PATCH /api/v1/deliberation/meetings/{meeting_id}': R(COUNTY | {'village_secretary'}, ok=409),
    'PATCH /api/v1/deliberation/venues/{venue_id}': R(COUNTY | {'village_secretary'}),
    'PATCH /api/v1/gridwork/duties/{duty_id}': R(COUNTY),
    'PATCH /api/v1/gridwork/workers/{worker_id}': R(TRIAGE),
    'POST /api/v1/auth/password': R((), deny={422}, anonymous=422),
    'POST /api/v1/auth/token': R((), deny={422}, anonymous=422),  # the login itself
    'POST /api/v1/cases': R(AREA_STAFF | VILLAGERS, ok=201, deny=IN_BODY, body=CASE_BODY),
    'POST /api/v1/cases/{case_id}/attachments': R((), deny={404, 422}),
    'POST /api/v1/cases/{case_id}/transitions': R(DEPARTMENT, body={"action": "check_in"}),  # the near case is dispatched to them
    'POST /api/v1/deliberation/actions/{action_id}/escalate': R((), deny={422}),
    'POST /api/v1/deliberation/actions/{action_id}/progress': R((), deny={422}),
    'POST /api/v1/deliberation/decisions/{decision_id}/actions': R((), deny={403, 404, 422}),
    'POST /api/v1/deliberation/meetings': R((), deny={422}),
    'POST /api/v1/deliberation/meetings/{meeting_id}/agenda': R((), deny={422}),
    'POST /api/v1/deliberation/meetings/{meeting_id}/cancel': R((), deny={403, 404, 422}),
    'POST /api/v1/deliberation/meetings/{meeting_id}/close': R(COUNTY | {'village_secretary'}, ok=409),
    'POST /api/v1/deliberation/meetings/{meeting_id}/open': R(COUNTY | {'village_secretary'}, ok=409),
    'POST /api/v1/deliberation/meetings/{meeting_id}/sign-in-sheet': R((), deny={422}),
    'POST /api/v1/deliberation/meetings/{meeting_id}/topics/{topic_id}/decision': R((), deny={422}),
    'POST /api/v1/deliberation/topics': R(TRIAGE | VILLAGERS | {'village_secretary'}, ok=201, deny=IN_BODY, body=TOPIC_BODY),
    'POST /api/v1/deliberation/topics/{topic_id}/accept': R(COUNTY | {'village_secretary'}, ok=409),
    'POST /api/v1/deliberation/topics/{topic_id}/attachments': R((), deny={422}),
    'POST /api/v1/deliberation/topics/{topic_id}/decline': R(COUNTY | {'village_secretary'}, ok=409, body={"reason": "不属于议事范围"}),  # already accepted
    'POST /api/v1/deliberation/topics/{topic_id}/resolve': R((), deny={403, 404, 422}),
    'POST /api/v1/deliberation/venues': R((), deny={422}),
    'POST /api/v1/deliberation/venues/{venue_id}/photo': R((), deny={422}),
    'POST /api/v1/field/cases': R((), deny={403, 422}),
    'POST /api/v1/field/cases/{case_id}/photos': R((), deny={403, 422}),
    'POST /api/v1/field/points': R((), deny={403, 422}),
    'POST /api/v1/field/visits': R((), deny={403, 422}),
    'POST /api/v1/gridwork/assignments/{assignment_id}/end': R((), deny={422}),
    'POST /api/v1/gridwork/duties': R((), deny={422}),
    'POST /api/v1/gridwork/evaluation-runs': R((), deny={422}),
    'POST /api/v1/gridwork/visits': R(GRID, ok=201, deny=IN_BODY, body=VISIT_BODY),
    'POST /api/v1/gridwork/visits/{visit_id}/case': R((), deny={422}),
    'POST /api/v1/gridwork/visits/{visit_id}/photos': R((), deny={422}),
    'POST /api/v1/gridwork/workers': R((), deny={422}),
    'POST /api/v1/gridwork/workers/{worker_id}/assignments': R((), deny={422}),
    'POST /api/v1/gridwork/workers/{worker_id}/leave': R(TRIAGE, body=lambda w, p: {"end_date": str(dt.date.today())}),
    'POST /api/v1/gridwork/workers/{worker_id}/transfer': R((), deny={422}),
    'POST /api/v1/households': R(AREA_STAFF, ok=201, deny=IN_BODY, body=HOUSEHOLD_BODY),
    'POST /api/v1/imports': R((), deny={422}),
    'POST /api/v1/imports/{job_id}/check': R(COUNTY | {'other_township_officer', 'village_secretary'}),
    'POST /api/v1/imports/{job_id}/commit': R(COUNTY | {'other_township_officer', 'village_secretary'}),
    'POST /api/v1/imports/{job_id}/mapping': R((), deny={422}),
    'POST /api/v1/notifications/read': R(SIGNED_IN),
    'POST /api/v1/points/appeals/{appeal_id}/decision': R((), deny={422}),
    'POST /api/v1/points/entries': R({'county_admin', 'village_secretary', 'grid_worker'}, ok={201, 422}, deny=IN_BODY, body=ENTRY_BODY),
    'POST /api/v1/points/entries/{entry_id}/appeal': R(VILLAGERS, ok=201, body={"reason": "不属实"}),
    'POST /api/v1/points/entries/{entry_id}/approve': R(TRIAGE | {'village_secretary'}, ok=409),
    'POST /api/v1/points/entries/{entry_id}/decline': R(TRIAGE | {'village_secretary'}, ok=409, body={"reason": "不属实"}),  # in notice, not pending
    'POST /api/v1/points/entries/{entry_id}/reverse': R(TRIAGE | {'village_secretary'}, body={"reason": "录入错误"}),
    'POST /api/v1/shop/items': R((), deny={422}),
    'POST /api/v1/shop/redemptions': R((), deny={422}),
    'POST /api/v1/shop/redemptions/{redemption_id}/cancel': R((), deny={422}),
    'POST /api/v1/stats/reports': R((), deny={422}),
    'PUT /api/v1/deliberation/meetings/{meeting_id}/attendance': R(COUNTY | {'village_secretary'}, ok=409),
    'PUT /api/v1/deliberation/meetings/{meeting_id}/minutes': R(COUNTY | {'village_secretary'}, ok=422),  # closed meeting: a note is required (checked after the UPDATE, same transaction: rolled back)
    'PUT /api/v1/deliberation/meetings/{meeting_id}/topics/{topic_id}/notes': R(COUNTY | {'village_secretary'}, ok=409),
    'PUT /api/v1/deliberation/villages/{village_id}/quorum-rule': R(COUNTY | {'village_secretary'}),
    'PUT /api/v1/gridwork/care/rules/{tag_code}': R((), deny={422}),
    'PUT /api/v1/gridwork/evaluation-scheme': R(COUNTY),
    'PUT /api/v1/gridwork/manual-scores': R((), deny={422}),
})

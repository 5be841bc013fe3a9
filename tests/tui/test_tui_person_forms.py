"""From the desk: record a representative arrangement on a person (R) and see it on their OTHER case, saying
where it came from; mark a person vulnerable (U) and see the badge; bad input is one line, nothing written."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session

from deskapp.store.models import Arrangement, Person
from deskapp.tui.app import DeskApp
from deskapp.tui.forms.person import ArrangementForm, VulnerabilityForm
from deskapp.tui.screens.main import MainScreen

from tui_support import case_id, fixed_now, screen_text, settle, wait_until


async def open_case(pilot, app, desk, ref: str) -> None:
    app.screen.select_case(case_id(desk, ref), delay=0)
    await wait_until(pilot, lambda: app.screen.case is not None and app.screen.case.ref == ref)
    await settle(pilot, app)


def advice(app) -> str:
    """The standing advice the sidebar shows for the case, as one string."""
    from deskapp.tui.widgets.sidebar import PolicySidebar

    return " ".join(f.message for f in app.screen.query_one(PolicySidebar).standing_findings.findings)


def calm_case(desk):
    """A demo case with nobody vulnerable on it (so the badge is not there yet), and its first person."""
    from deskapp.actions import load_case

    for n in range(1002, 1030):
        ref = f"C-{n}"
        try:
            case = load_case(desk, case_id(desk, ref))
        except Exception:  # noqa: BLE001 - not every number is a demo case
            continue
        if not case.vulnerable and case.persons and not case.vulnerable_persons:
            return case
    raise AssertionError("no demo case without a vulnerable person")


def arthur(desk) -> Person:
    with Session(desk.engine) as s:
        return s.execute(select(Person).where(Person.name == "Arthur Penrose").order_by(Person.id)).scalars().first()


def arrangements(desk) -> int:
    with Session(desk.engine) as s:
        return s.execute(select(func.count()).select_from(Arrangement)).scalar_one()


async def test_an_arrangement_recorded_on_one_case_shows_on_the_other_with_its_source(demo_desk):
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(140, 45)) as pilot:
        await settle(pilot, app)
        before = arrangements(demo_desk)
        await open_case(pilot, app, demo_desk, "C-1009")
        assert "by the Court of Protection" not in advice(app)
        await open_case(pilot, app, demo_desk, "C-1001")
        await pilot.press("R")
        await wait_until(pilot, lambda: isinstance(app.screen, ArrangementForm))
        form = app.screen
        assert form.value("person") == arthur(demo_desk).id, "for the resident by default"
        assert form.value("representative") == form.case.designated_representative.id
        form.widget("authorised_by").value = "the Court of Protection"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "give the evidence" in form.status)  # no evidence: one line
        assert arrangements(demo_desk) == before
        form.widget("note").value = "Signed consent form, seen at the visit"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        assert arrangements(demo_desk) == before + 1
        await open_case(pilot, app, demo_desk, "C-1009")
        await wait_until(pilot, lambda: "by the Court of Protection on C-1001" in advice(app))


async def test_ending_an_arrangement_from_the_desk(demo_desk):
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(140, 45)) as pilot:
        await settle(pilot, app)
        await open_case(pilot, app, demo_desk, "C-1001")
        await pilot.press("R")
        await wait_until(pilot, lambda: isinstance(app.screen, ArrangementForm))
        app.screen.widget("authorised_by").value = "Arthur Penrose"
        app.screen.widget("note").value = "Consent form"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        await wait_until(pilot, lambda: any(p.arrangements for p in app.screen.case.persons))
        await pilot.press("R")
        await wait_until(pilot, lambda: isinstance(app.screen, ArrangementForm))
        form = app.screen
        form.widget("op").value = "end"
        await pilot.pause()
        assert form.row("authorised_by").has_class("-hidden") and not form.row("arrangement").has_class("-hidden")
        ended = next(a.id for p in form.case.persons if p.name == "Arthur Penrose" for a in p.arrangements)
        form.widget("arrangement").value = ended
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
    with Session(demo_desk.engine) as s:
        assert s.get(Arrangement, ended).ended_at is not None


async def test_marking_a_person_vulnerable_from_the_desk_shows_the_badge(demo_desk):
    app = DeskApp(demo_desk, now=fixed_now, show_clock=False)
    async with app.run_test(size=(140, 45)) as pilot:
        await settle(pilot, app)
        calm = calm_case(demo_desk)
        who = calm.persons[0]
        await open_case(pilot, app, demo_desk, calm.ref)
        assert "VULNERABLE" not in screen_text(app)
        await pilot.press("U")
        await wait_until(pilot, lambda: isinstance(app.screen, VulnerabilityForm))
        form = app.screen
        form.widget("person").value = who.id
        await pilot.pause()
        form.widget("mark").value = "mark"
        form.widget("review").value = "2026-13-40"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: form.status != "" and form.status != "Saving...")
        assert "reason" in form.status, "no reason: one line naming the field"
        form.widget("reason").value = "Recently bereaved"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "review" in form.status)
        assert "\n" not in form.status
        form.widget("review").value = "2026-06-01"
        await pilot.pause()
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, MainScreen))
        await wait_until(pilot, lambda: "VULNERABLE" in screen_text(app))
    with Session(demo_desk.engine) as s:
        person = s.get(Person, who.id)
    assert person.vulnerable and person.vulnerability_reason == "Recently bereaved"
    assert f"{person.vulnerability_review:%Y-%m-%d}" == "2026-06-01"

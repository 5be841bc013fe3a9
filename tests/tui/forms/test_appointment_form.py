"""Appointments through their form: book, a live weekend warning, mark kept, and what is asked when."""

from __future__ import annotations

from datetime import datetime

from forms_support import FormApp, counts, rules, settle, submit_form

from deskapp.actions.outcomes import Done
from deskapp.tui.forms import ReasonModal, open_form


async def test_booking_an_appointment_with_the_representative(desk, case_of):
    case = case_of("C-1001")
    app = FormApp(open_form("appointment", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        assert form.value("appointment") == 0 and form.value("op") == "book"
        assert form.value("party") == case.designated_representative.id, "booked through the representative"
        form.widget("at").value = "2026-03-12 10:00"
        form.widget("purpose").value = "Plumber: fix the leak <b>[bold]"
        await settle(pilot)
        assert "appointment-not-working-day" not in [rule for rule, _ in rules(form.live_findings)]
        await submit_form(pilot)
        assert isinstance(app.result, Done), app.result
    booked = [a for a in app.result.case.appointments if a.status == "booked"]
    assert [(a.at, a.purpose, a.party_id) for a in booked] == [
        (datetime(2026, 3, 12, 10, 0), "Plumber: fix the leak <b>[bold]", case.designated_representative.id)]


async def test_a_weekend_booking_warns_while_typing_and_asks_for_a_reason(desk, case_of):
    case = case_of("C-1001")
    before = counts(desk)
    app = FormApp(open_form("appointment", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        form.widget("at").value = "2026-03-14 10:00"
        form.widget("purpose").value = "Plumber"
        await settle(pilot)
        assert ("appointment-not-working-day", "warn") in rules(form.live_findings)
        await submit_form(pilot)
        assert isinstance(app.screen, ReasonModal)
    assert counts(desk) == before


async def test_marking_a_missed_visit_kept_asks_for_nothing_else(desk, case_of):
    case = case_of("C-1001")
    missed = next(a for a in case.appointments if a.status == "missed")
    app = FormApp(open_form("appointment", desk, case, appointment_id=missed.id))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        assert [value for _label, value in form.widget("op")._options] == ["kept"], "missed: only kept offered"
        assert all(form.row(name).has_class("-hidden") for name in ("at", "party", "purpose"))
        await submit_form(pilot)
        assert isinstance(app.result, Done), app.result
    assert next(a for a in app.result.case.appointments if a.id == missed.id).status == "kept"


async def test_moving_offers_the_booked_ones_and_names_a_missing_time(desk, case_of):
    case = case_of("C-1001")
    app = FormApp(open_form("appointment", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        form.widget("purpose").value = "Surveyor"
        await submit_form(pilot)
        assert form.row("at").error == "at: say when: YYYY-MM-DD HH:MM"
        form.widget("at").value = "next week"
        await submit_form(pilot)
        assert "'next week' is not a time" in form.row("at").error
        form.widget("at").value = "2026-03-16 09:30"
        await submit_form(pilot)
        assert isinstance(app.result, Done)
    new = next(a for a in app.result.case.appointments if a.status == "booked")
    app = FormApp(open_form("appointment", desk, app.result.case, appointment_id=new.id))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        assert [value for _label, value in form.widget("op")._options] == ["move", "cancel", "kept", "missed"]
        form.widget("op").value = "move"
        await settle(pilot)
        assert not form.row("at").has_class("-hidden")
        assert form.value("party") == new.party_id, "a move starts from who it is with"
        form.widget("at").value = "2026-03-17 09:30"
        await submit_form(pilot)
        assert isinstance(app.result, Done), app.result
    moved = next(a for a in app.result.case.appointments if a.id == new.id)
    assert (moved.at, moved.purpose, moved.status) == (datetime(2026, 3, 17, 9, 30), "Surveyor", "booked")


async def test_booking_can_write_the_calendar_file_for_the_email(desk, case_of, tmp_path, monkeypatch):
    monkeypatch.setenv("DESKAPP_DATA_DIR", str(tmp_path / "data"))
    case = case_of("C-1001")
    app = FormApp(open_form("appointment", desk, case))
    async with app.run_test(size=(120, 40)) as pilot:
        form = app.form
        form.widget("at").value = "2026-03-12 10:00"
        form.widget("purpose").value = "Plumber"
        form.widget("ics").value = True
        await settle(pilot)
        await submit_form(pilot)
        assert isinstance(app.result, Done), app.result
        new = max(a.id for a in app.result.case.appointments)
        path = tmp_path / "data" / "exports" / f"C-1001-appointment-{new}.ics"
        assert path.read_text().startswith("BEGIN:VCALENDAR")
        assert any(str(path) in n.message for n in app._notifications)


async def test_marking_kept_offers_no_calendar_file(desk, case_of):
    case = case_of("C-1001")
    missed = next(a for a in case.appointments if a.status == "missed")
    app = FormApp(open_form("appointment", desk, case, appointment_id=missed.id))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert app.form.row("ics").has_class("-hidden")

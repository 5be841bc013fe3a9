"""Generated demo cases: many believable cases from one seed, fast.

Cases arrive oldest first (refs and ids follow the order they came in, as on
a real desk) and are made in chunks. Each chunk has its own random stream
(seeded from the demo seed and the chunk's number) and knows its slice of
the arrivals, so chunks can be made in any order or in parallel processes
and still give exactly the same rows for the same (seed, today, count).

Rows are plain tuples in the *_COLS column order with datetimes already as
the store's text, so they go straight into executemany or COPY.
"""

from __future__ import annotations

import math
import random
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Callable, Iterator, Optional

from deskapp.core.people import name_key, normalise_phone
from deskapp.demo import pools
from deskapp.store.bulk import stamp
from deskapp.demo.days import RESPONSE_DAYS, add_working_days, roll_back

# Generated cases are numbered after the stories, leaving room for more stories.
FIRST_GENERATED_REF = 1101
BATCH = 20_000
# Chunks: at least this many cases each, and at most MAX_CHUNKS of them (SQLite can attach only ten
# staging files to one connection; see demo_parallel).
CHUNK_MIN = 50_000
MAX_CHUNKS = 9

# deskapp.demo.deadlines.due_dates(pack): (kind, category, stage, status, received, acknowledged, responded,
# escalated to stage 2, extension days) -> the case's next deadline, or None
DueAt = Callable[[str, str, int, str, date, Optional[date], Optional[date], Optional[date], int], Optional[datetime]]

CASE_COLS = ("id", "ref", "kind", "category", "title", "stage", "status", "priority", "vulnerable",
             "received_at", "acknowledged_at", "responded_at", "closed_at", "status_changed_at", "stage2_at",
             "extension_days", "due_at", "assigned_to_id", "stage1_handler_id", "version", "created_at",
             "updated_at")
PARTY_COLS = ("id", "case_id", "role", "name", "designated", "authorised", "organisation", "email", "phone",
              "address", "notes", "created_at", "person_id")
# Each generated party is a person of its own (people are drawn at random: no matching), with the party's id:
# persons go in before their parties, and a parallel load shifts both ids alike (demo.parallel).
PERSON_COLS = ("id", "name", "name_key", "email", "phone", "phone_valid", "address", "vulnerable", "version",
               "created_at", "updated_at")
CONTACT_COLS = ("id", "case_id", "at", "channel", "direction", "party_id", "handler_id", "outcome", "summary",
                "body", "call_id", "created_at", "response_stage")
APPOINTMENT_COLS = ("id", "case_id", "party_id", "at", "purpose", "status", "created_at")

# --------------------------------------------------------------------------- generated cases


@dataclass
class Batch:
    """Rows for some cases, one list per table, each row a tuple in that table's *_COLS order."""

    cases: list[tuple] = field(default_factory=list)
    persons: list[tuple] = field(default_factory=list)
    parties: list[tuple] = field(default_factory=list)
    contacts: list[tuple] = field(default_factory=list)
    appointments: list[tuple] = field(default_factory=list)


class _Stamps:
    """Datetime text built from cached day and minute strings: formatting millions of datetimes is slow."""

    def __init__(self) -> None:
        self._days: dict[date, str] = {}
        self._minutes = [f" {m // 60:02d}:{m % 60:02d}:00.000000" for m in range(24 * 60)]
        self._due: dict[datetime, str] = {}

    def at(self, day: date, minute: int) -> str:
        text_day = self._days.get(day)
        if text_day is None:
            text_day = self._days[day] = day.isoformat()
        return text_day + self._minutes[minute]

    def due(self, value: Optional[datetime]) -> Optional[str]:
        if value is None:
            return None
        found = self._due.get(value)
        if found is None:
            found = self._due[value] = stamp(value)
        return found


# Status mixes by how long ago (working days) the current stage started.
_FRESH = (("new", 50), ("acknowledged", 35), ("investigating", 15))
_RECENT = (("new", 4), ("acknowledged", 14), ("investigating", 36), ("awaiting_customer", 10),
           ("awaiting_third_party", 8), ("responded", 17), ("closed", 11))
_OLD = (("new", 1), ("investigating", 5), ("awaiting_customer", 2), ("awaiting_third_party", 2),
        ("responded", 8), ("closed", 82))
_COMPLIMENT = (("new", 20), ("acknowledged", 10), ("closed", 70))


def _cumulative(mix) -> tuple[list[float], list[str]]:
    """(upper edges, values) for picking a value with bisect from one random number in [0, 1)."""
    total = sum(w for _s, w in mix)
    running, edges, values = 0, [], []
    for value, weight in mix:
        running += weight
        edges.append(running / total)
        values.append(value)
    edges[-1] = 1.0 + 1e-9  # never fall off the end through rounding
    return edges, values


def _pick(table: tuple[list[float], list[str]], u: float) -> str:
    edges, values = table
    return values[bisect_right(edges, u)]


def chunks(n: int) -> list[tuple[int, int]]:
    """[start, stop) positions of the n generated cases in each chunk: depends on n only."""
    if n <= 0:
        return []
    size = max(CHUNK_MIN, math.ceil(n / MAX_CHUNKS))
    return [(start, min(start + size, n)) for start in range(0, n, size)]


def generate_chunk(n: int, seed: int, k: int, today: date, ids: dict[str, int], me: str, due_at: DueAt,
                   next_ids: dict[str, int]) -> Iterator[Batch]:
    """Batches for chunk k of n generated cases. `next_ids` gives (and is advanced past) the row ids."""
    start, stop = chunks(n)[k]
    generator = Generator(random.Random(f"deskapp-demo:{seed}:chunk:{k}"), today, ids, me, due_at)
    return generator.batches(arrivals(n, seed, today, start, stop), FIRST_GENERATED_REF + start, next_ids)


HISTORY_DAYS = 365  # generated cases arrive up to a year before the demo's today


def _days(today: date) -> list[date]:
    """The dates cases may arrive on, by age: 0 = today, up to a year ago."""
    return [today - timedelta(days=age) for age in range(HISTORY_DAYS)]


def arrivals(n: int, seed: int, today: date, start: int = 0, stop: Optional[int] = None) -> Iterator[tuple[int, int]]:
    """(days ago, minute of the day) of the generated cases at positions [start, stop), oldest first.

    Most cases are recent: 45% in the last 30 days, 35% in the 90 before, the
    rest over the year; weekends get a quarter of a weekday's post. Each day's
    times come from that day's own random stream, so any slice can be made
    without the others.
    """
    stop = n if stop is None else stop
    days = _days(today)

    def weight(age: int) -> float:
        base = 0.45 / 30 if age < 30 else 0.35 / 90 if age < 120 else 0.20 / 245
        return base if days[age].weekday() < 5 else base / 4

    counts = _apportion(n, [weight(age) for age in range(len(days))])
    position = 0
    for age in range(len(days) - 1, -1, -1):
        count = counts[age]
        if position + count > start and position < stop:
            rnd = random.Random(f"deskapp-demo:{seed}:day:{age}").random
            minutes = sorted(480 + int(rnd() * 600) for _ in range(count))
            for minute in minutes[max(start - position, 0):min(stop - position, count)]:
                yield age, minute
        position += count
        if position >= stop:
            return


def _apportion(n: int, weights: list[float]) -> list[int]:
    """Split n into whole counts proportional to weights (largest remainder: exact total, deterministic)."""
    total = sum(weights)
    shares = [n * w / total for w in weights]
    counts = [int(share) for share in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: (counts[i] - shares[i], i))
    for i in by_remainder[: n - sum(counts)]:
        counts[i] += 1
    return counts


class Generator:
    """Makes generated cases from one random stream; same seed and today, same rows."""

    def __init__(self, rng: random.Random, today: date, ids: dict[str, int], me: str, due_at: DueAt):
        self.rng = rng
        self.today = today
        self.due_at = due_at
        self.stamps = _Stamps()
        self.me_id = ids[me]
        # Who gets cases: the person running the demo and the two handlers most; the supervisor some.
        self.assignees = (self.me_id, self.me_id, ids["sam"], ids["sam"], ids["jo"], ids["jo"], ids["priya"])
        self.stage1_handlers = (ids["sam"], ids["jo"], self.me_id)
        self.kinds = _cumulative(tuple(pools.KIND_WEIGHTS.items()))
        self.fresh, self.recent, self.old = _cumulative(_FRESH), _cumulative(_RECENT), _cumulative(_OLD)
        self.compliment = _cumulative(_COMPLIMENT)
        self.today_work = roll_back(today)
        # Received dates: 0..364 calendar days ago, with their working-day age (for the status mix).
        self.days = _days(today)
        self.wd_age = [self._working_days_to_today(d) for d in self.days]
        # Text that repeats across cases, made once: names with their email stems, phones, addresses.
        self.names = [(f"{f} {l}", f"{f.lower()}.{l.lower().replace(chr(39), '')}")
                      for f in pools.FIRST_NAMES for l in pools.LAST_NAMES]
        self.phones = [f"07700 900{n:03d}" for n in range(1000)]
        # As a person keeps them (deskapp.core.people): E.164 phones, name keys; worked out once per pool entry.
        self.e164 = {raw: normalise_phone(raw).value for raw in self.phones}
        self.name_keys = {name: name_key(name) for name, _stem in self.names}
        self.addresses = [f"{n} {street}, {pools.TOWN}" for n in range(1, 121) for street in pools.STREETS]
        self.first_summary = {(k, ch): f"{pools.FIRST_SUMMARIES[k]} by {pools.CHANNEL_WORDS[ch]}"
                              for k, chans in pools.FIRST_CHANNELS.items() for ch in chans}
        self.housing = {"housing repairs", "damp and mould", "rent and service charges", "anti-social behaviour"}

    def _working_days_to_today(self, day: date) -> int:
        count, current = 0, day
        while current < self.today:
            current += timedelta(days=1)
            if current.weekday() < 5:
                count += 1
        return count

    def _clip(self, day: date) -> date:
        return day if day <= self.today else self.today_work

    def batches(self, arrivals: Iterator[tuple[int, int]], first_ref: int,
                next_ids: dict[str, int]) -> Iterator[Batch]:
        """Cases for these arrivals, numbered from first_ref, in batches of BATCH cases."""
        number = first_ref
        batch = Batch()
        for age, minute in arrivals:
            self._one(number, age, minute, batch, next_ids)
            number += 1
            if len(batch.cases) == BATCH:
                yield batch
                batch = Batch()
        if batch.cases:
            yield batch

    def _one(self, number: int, age: int, received_min: int, batch: Batch, next_ids: dict[str, int]) -> None:
        rnd = self.rng.random
        at = self.stamps.at
        case_id = next_ids["cases"]
        next_ids["cases"] += 1

        kind = _pick(self.kinds, rnd())
        categories = pools.KIND_CATEGORIES[kind]
        category = categories[int(rnd() * len(categories))]
        if kind == "compliment":
            title = pools.COMPLIMENT_TITLES[int(rnd() * len(pools.COMPLIMENT_TITLES))]
        else:
            titles = pools.TITLES[category]
            title = titles[int(rnd() * len(titles))]

        received_day = self.days[age]
        wd_age = self.wd_age[age]

        stage, stage2_day, stage1_handler = 1, None, None
        start_day, start_min, start_wd = received_day, received_min, wd_age
        if kind == "complaint" and wd_age > 25 and rnd() < 0.12:
            # Answered at stage 1, then escalated: the stage-2 clock starts on escalation.
            stage = 2
            stage1_handler = self.stage1_handlers[int(rnd() * 3)]
            back = 1 + int(rnd() * (wd_age - 15))
            stage2_day = add_working_days(self.today, -back)
            start_day, start_min, start_wd = stage2_day, 540 + int(rnd() * 420), back

        if kind == "compliment":
            status = _pick(self.compliment, rnd()) if start_wd > 2 else "new"
        elif start_wd <= 5:
            status = _pick(self.fresh, rnd())
        elif start_wd <= 25:
            status = _pick(self.recent, rnd())
        else:
            status = _pick(self.old, rnd())

        ack_day = resp_day = closed_day = None
        ack_min = resp_min = closed_min = 0
        if status != "new":
            lag = 1 + int(rnd() * rnd() * 7)  # mostly 1-2 working days, now and then late
            ack_day = self._clip(add_working_days(start_day, min(lag, start_wd)))
            ack_min = 540 + int(rnd() * 480)
            if ack_day == start_day:
                ack_min = min(start_min + 30 + int(rnd() * 90), 1439)
        if status in ("responded", "closed") and kind != "compliment":
            limit = RESPONSE_DAYS[stage]
            lag = 2 + int(rnd() * (limit + 4))  # most in time, some late
            resp_day = self._clip(add_working_days(ack_day, lag))
            resp_min = 570 + int(rnd() * 450)
            if resp_day == ack_day:
                resp_min = min(ack_min + 60, 1439)
        if status == "closed":
            if kind == "compliment":
                closed_day, closed_min = ack_day, min(ack_min + 5, 1439)
            else:
                closed_day = self._clip(add_working_days(resp_day, int(rnd() * 6)))
                closed_min = min(resp_min + 15, 1439) if closed_day == resp_day else 540 + int(rnd() * 480)

        extension = 5 if status in ("investigating", "awaiting_third_party") and rnd() < 0.05 else 0
        due = self.due_at(kind, category, stage, status, received_day, ack_day, resp_day, stage2_day, extension)

        if status == "closed":
            changed_day, changed_min = closed_day, closed_min
        elif status == "responded":
            changed_day, changed_min = resp_day, resp_min
        elif status == "new":
            changed_day, changed_min = start_day, start_min
        elif status in ("awaiting_customer", "awaiting_third_party", "investigating"):
            changed_day = self._clip(add_working_days(ack_day, int(rnd() * 4)))
            changed_min = max(540 + int(rnd() * 480), ack_min) if changed_day == ack_day else 540 + int(rnd() * 480)
        else:
            changed_day, changed_min = ack_day, ack_min

        if status == "new" and rnd() < 0.5:
            assigned = None
        else:
            assigned = self.assignees[int(rnd() * len(self.assignees))]
        if stage == 2 and assigned == stage1_handler:
            assigned = self.assignees[6]  # stage 2 usually goes to someone fresh: the supervisor
        pr = rnd()
        priority = 1 if pr < 0.05 else 2 if pr < 0.2 else 3 if pr < 0.85 else 4

        received = at(received_day, received_min)
        changed = at(changed_day, changed_min)
        ack = at(ack_day, ack_min) if ack_day else None
        resp = at(resp_day, resp_min) if resp_day else None

        # Parties: the customer, and now and then someone acting for them or a third party.
        name, stem = self.names[int(rnd() * len(self.names))]
        customer_id = next_ids["parties"]
        next_ids["parties"] += 1
        email = f"{stem}{number % 97}@example.org" if rnd() < 0.75 else None
        phone = self.phones[int(rnd() * 1000)] if rnd() < 0.8 else None
        address = None
        if category in self.housing:
            address = self.addresses[int(rnd() * len(self.addresses))]
        role = "resident" if category in self.housing and kind != "compliment" else "customer"
        vulnerable = rnd() < 0.05
        batch.persons.append((customer_id, name, self.name_keys[name], email, self.e164[phone] if phone else None,
                              True, address, False, 1, received, received))
        batch.parties.append((customer_id, case_id, role, name, False, False, None, email, phone,
                              address, None, received, customer_id))
        rep_id = None
        if kind != "compliment" and rnd() < 0.08:
            p_role, org, label, designated, authorised = pools.SECOND_PARTIES[int(rnd() * len(pools.SECOND_PARTIES))]
            name2, stem2 = self.names[int(rnd() * len(self.names))]
            rep_id = next_ids["parties"]
            next_ids["parties"] += 1
            vulnerable = vulnerable or designated
            batch.persons.append((rep_id, name2, self.name_keys[name2], f"{stem2}@example.com", None, True, None,
                                  False, 1, received, received))
            batch.parties.append((rep_id, case_id, p_role, name2, designated, authorised, org,
                                  f"{stem2}@example.com", None, None,
                                  f"{label.capitalize()} for {name}" if p_role == "representative" else None,
                                  received, rep_id))
        talk_to = rep_id if rep_id is not None and designated else customer_id

        # History: what came in, the acknowledgement, then a follow-up or the response. At most three.
        contacts = batch.contacts
        cid = next_ids["contacts"]
        handler = assigned or self.me_id
        if rnd() < 0.9:
            channels = pools.FIRST_CHANNELS[kind]
            channel = channels[int(rnd() * len(channels))]
            body = None
            if rnd() < 0.5:  # the customer's own words, for some; the rest are summarised only
                if kind == "compliment":
                    body = pools.COMPLIMENT_OPENINGS[int(rnd() * len(pools.COMPLIMENT_OPENINGS))]
                else:
                    openings = pools.OPENINGS[category]
                    body = openings[int(rnd() * len(openings))]
            contacts.append((cid, case_id, received, channel, "in", talk_to,
                             handler if channel == "phone" else None, "reached" if channel == "phone" else None,
                             self.first_summary[kind, channel], body, None, received, None))
            cid += 1
        if ack is not None and rnd() < 0.6:
            summary = "Thanked the customer and passed on the praise" if kind == "compliment" else "Acknowledgement sent"
            contacts.append((cid, case_id, ack, "email" if email else "letter", "out", talk_to, handler, None,
                             summary, None, None, ack, None))
            cid += 1
        if resp is not None:
            summary = "Stage 2 final response sent" if stage == 2 else "Final response sent"
            # Marked as the stage's final response: the fact `responded` and `closed` rest on.
            contacts.append((cid, case_id, resp, "email" if email else "letter", "out", talk_to, handler, None,
                             summary, None, None, resp, stage))
            cid += 1
        elif ack is not None and status != "acknowledged" and rnd() < 0.35:
            channel, direction, outcome, summary = pools.FOLLOW_UPS[int(rnd() * len(pools.FOLLOW_UPS))]
            when = changed if changed_day != ack_day or changed_min > ack_min else at(ack_day, min(ack_min + 45, 1439))
            contacts.append((cid, case_id, when, channel, direction, None if direction == "internal" else talk_to,
                             handler if channel in ("phone", "note") else None, outcome, summary, None, None, when,
                             None))
            cid += 1
        next_ids["contacts"] = cid

        # Repairs get visits; some are missed.
        if ack_day is not None and category in ("housing repairs", "damp and mould") and rnd() < 0.3:
            visit_day = add_working_days(ack_day, 2 + int(rnd() * 7))
            if visit_day > self.today:
                visit_status = "booked"
            else:
                v = rnd()
                visit_status = "kept" if v < 0.7 else "missed" if v < 0.9 else "cancelled"
            batch.appointments.append((next_ids["appointments"], case_id, customer_id,
                                       at(visit_day, 480 + 240 * int(rnd() * 2)),
                                       "Repair visit" if category == "housing repairs" else "Damp and mould survey",
                                       visit_status, ack))
            next_ids["appointments"] += 1

        batch.cases.append((
            case_id, f"C-{number}", kind, category, title, stage, status, priority, vulnerable,
            received, ack, resp, at(closed_day, closed_min) if closed_day else None, changed,
            at(stage2_day, start_min) if stage2_day else None, extension, self.stamps.due(due), assigned,
            stage1_handler, 1, received, changed,
        ))



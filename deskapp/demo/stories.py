"""The demo's named cases: short stories that show what the desk warns about.

Each has a fixed ref (C-1001 ..) so the README, docs and tests can point at
it, and is placed in time relative to "today" so its deadlines look live:

  C-1001  housing repair for a vulnerable resident; all contact through a social
          worker; two repair visits missed; emails to her unanswered
  C-1002  billing dispute; the customer keeps asking Jo for card numbers from old invoices
  C-1003  parking dispute with an abusive caller; warned, then a call ended for abuse
  C-1004  missed bin collections, waiting on the waste contractor
  C-1005  nursery parent's complaint, answered in time and closed
  C-1006  compliment for a same-day boiler repair (closed)
  C-1007  compliment for a contact-centre adviser (new)
  C-1008  damp and mould, escalated to stage 2; stage 1 was handled by Sam
  C-1009  the C-1001 resident's second case (a cold radiator), rung in by himself: nobody is
          marked designated on it, yet his designated representative (recorded on HIM, on
          C-1001) and his vulnerability carry to it - phoning him back raises the warning

Handlers are named by username; "@me" is whoever runs the demo.
All names, places and words are invented.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any, Optional

from deskapp.core.parties import PartyFields
from deskapp.demo.days import add_working_days

ME = "@me"


@dataclass(frozen=True)
class StoryParty(PartyFields):
    key: str = field(kw_only=True)  # how the story's contacts and appointments name this party
    person: Optional[str] = field(default=None, kw_only=True)  # the same on two stories: one person, two cases
    vulnerability: Optional[str] = field(default=None, kw_only=True)  # why the PERSON is vulnerable, if they are


@dataclass(frozen=True)
class StoryArrangement:
    """A standing arrangement recorded on a person during this story (deskapp.store.models.Arrangement)."""

    person: str  # StoryParty.key of the person represented
    representative: str  # StoryParty.key of their representative
    authorised_by: str
    starts_at: datetime
    evidence_note: str
    kind: str = "designated"


@dataclass
class StoryContact:
    at: datetime
    channel: str
    direction: str
    summary: str
    party: Optional[str] = None  # StoryParty.key
    handler: Optional[str] = None  # username or ME
    outcome: Optional[str] = None
    body: Optional[str] = None
    call_id: Optional[str] = None
    response_stage: Optional[int] = None  # the final response of that stage (what `responded` rests on)


@dataclass
class StoryAppointment:
    at: datetime
    purpose: str
    status: str = "booked"
    party: Optional[str] = None


@dataclass
class Story:
    ref: str
    kind: str
    category: str
    title: str
    received_at: datetime
    status: str
    stage: int = 1
    priority: int = 3
    vulnerable: bool = False
    assigned_to: Optional[str] = None
    stage1_handler: Optional[str] = None
    acknowledged_at: Optional[datetime] = None
    responded_at: Optional[datetime] = None
    closed_at: Optional[datetime] = None
    status_changed_at: Optional[datetime] = None
    stage2_at: Optional[datetime] = None
    extension_days: int = 0
    parties: list[StoryParty] = field(default_factory=list)
    contacts: list[StoryContact] = field(default_factory=list)
    appointments: list[StoryAppointment] = field(default_factory=list)
    arrangements: list[StoryArrangement] = field(default_factory=list)

    def case_fields(self) -> dict[str, Any]:
        return {
            "ref": self.ref, "kind": self.kind, "category": self.category, "title": self.title,
            "stage": self.stage, "status": self.status, "priority": self.priority,
            "vulnerable": self.vulnerable, "received_at": self.received_at,
            "acknowledged_at": self.acknowledged_at, "responded_at": self.responded_at,
            "closed_at": self.closed_at, "status_changed_at": self.status_changed_at,
            "stage2_at": self.stage2_at, "extension_days": self.extension_days,
        }


class _Clock:
    """Times counted in working days back from today: clock.at(3, "10:15") is 3 working days ago at 10:15."""

    def __init__(self, today: date):
        self.today = today

    def at(self, working_days_ago: int, hhmm: str) -> datetime:
        hour, minute = (int(part) for part in hhmm.split(":"))
        day = add_working_days(self.today, -working_days_ago) if working_days_ago else self.today
        return datetime.combine(day, time(hour, minute))


def _housing_repairs(c: _Clock) -> Story:
    story = Story(
        ref="C-1001", kind="complaint", category="housing repairs",
        title="Leaking bathroom ceiling: two repair visits missed",
        received_at=c.at(9, "09:12"), status="investigating", priority=2, vulnerable=True,
        assigned_to=ME, acknowledged_at=c.at(8, "10:05"), status_changed_at=c.at(8, "10:05"),
    )
    story.parties = [
        StoryParty(key="resident", name="Arthur Penrose", role="resident", phone="07700 900412",
                   person="arthur", vulnerability=ARTHUR_VULNERABLE,
                   address="Flat 4, Linden Court, Canal Street, Northvale NV3 2LP",
                   notes="Lives alone, walks with a frame and is hard of hearing. Unexpected calls "
                         "and visitors upset him: arrange everything through his social worker."),
        StoryParty(key="social_worker", name="Nadia Kowalski", person="nadia",
                   role="representative", designated=True, authorised=True,
                   organisation="Northvale Adult Social Care", email="nadia.kowalski@adultcare.example.org",
                   phone="07700 900873",
                   notes="Designated representative. All contact about this case, including booking "
                         "repair visits, goes through Nadia."),
    ]
    story.contacts = [
        StoryContact(c.at(9, "09:12"), "phone", "in", "Social worker reports water coming through the bathroom ceiling",
                     party="social_worker", handler="sam", outcome="reached",
                     body="Nadia Kowalski rang for Mr Penrose. Water has been dripping through his bathroom "
                          "ceiling for about three weeks and the light in there now flickers. She asked that "
                          "every appointment is made through her, because Mr Penrose gets very anxious when "
                          "people call or knock without warning."),
        StoryContact(c.at(8, "10:05"), "email", "out", "Acknowledged the complaint to the social worker",
                     party="social_worker", handler=ME,
                     body="Dear Ms Kowalski, thank you for raising this for Mr Penrose. I have logged it as a "
                          "complaint and asked our repairs team for an urgent visit. I will agree any "
                          "appointment with you first."),
        StoryContact(c.at(8, "11:30"), "note", "internal", "Raised urgent repair: trace leak from flat above, check light fitting",
                     handler=ME),
        StoryContact(c.at(5, "14:40"), "phone", "in", "Social worker says nobody came for the morning visit",
                     party="social_worker", handler="jo", outcome="reached",
                     body="Ms Kowalski says Mr Penrose waited in all morning and nobody came or rang. "
                          "She is unhappy that this is the first thing to go wrong after she asked us to take care."),
        StoryContact(c.at(4, "16:20"), "phone", "in", "Mr Penrose rang himself, unsure who is coming and when",
                     party="resident", handler="sam", outcome="reached",
                     body="Mr Penrose was confused about the appointments. Told him we would sort the next "
                          "date with Ms Kowalski and she would let him know."),
        StoryContact(c.at(3, "09:10"), "email", "out", "Asked the social worker which dates suit for a third visit",
                     party="social_worker", handler=ME, outcome="no_reply"),
        StoryContact(c.at(2, "09:45"), "email", "out", "Chased the social worker for visit dates",
                     party="social_worker", handler=ME, outcome="no_reply"),
        StoryContact(c.at(1, "15:05"), "email", "out", "Sent the contractor's free slots for next week",
                     party="social_worker", handler=ME, outcome="no_reply"),
    ]
    story.appointments = [
        StoryAppointment(c.at(6, "08:00"), "Plumber: trace the leak from the flat above", "missed", party="resident"),
        StoryAppointment(c.at(3, "12:00"), "Plumber and electrician together", "missed", party="resident"),
    ]
    # Recorded on Arthur himself, so it holds on every case of his (C-1009 too), not only this one.
    story.arrangements = [
        StoryArrangement(person="resident", representative="social_worker", authorised_by="Arthur Penrose",
                         starts_at=c.at(9, "09:12"),
                         evidence_note="Consent form signed by Mr Penrose, held by Northvale Adult Social Care; "
                                       "confirmed by Ms Kowalski on the phone."),
    ]
    return story


ARTHUR_VULNERABLE = "Lives alone, walks with a frame and is hard of hearing; unexpected calls upset him."


def _same_resident_again(c: _Clock) -> Story:
    """Arthur Penrose rings about something else: a new case, the same person (see C-1001)."""
    story = Story(
        ref="C-1009", kind="complaint", category="housing repairs",
        title="Living-room radiator cold for two days",
        received_at=c.at(1, "16:40"), status="new", priority=2, assigned_to=ME, status_changed_at=c.at(1, "16:40"),
    )
    story.parties = [
        StoryParty(key="resident", name="Arthur Penrose", role="resident", phone="+44 7700 900412",
                   person="arthur", address="Flat 4, Linden Court, Canal Street, Northvale NV3 2LP"),
    ]
    story.contacts = [
        StoryContact(c.at(1, "16:40"), "phone", "in", "Mr Penrose rang: the living-room radiator is cold",
                     party="resident", handler="jo", outcome="reached",
                     body="Mr Penrose rang himself. The radiator in his living room has been cold for two days "
                          "and he is using a small heater. Said someone would call him back."),
    ]
    return story


def _card_details(c: _Clock) -> Story:
    story = Story(
        ref="C-1002", kind="complaint", category="billing",
        title="Double charge for garden waste; wants card numbers from old invoices",
        received_at=c.at(7, "08:47"), status="investigating", assigned_to=ME,
        acknowledged_at=c.at(6, "09:30"), status_changed_at=c.at(5, "10:00"),
    )
    story.parties = [
        StoryParty(key="customer", name="Graham Whitlock", email="g.whitlock@example.net", phone="07700 900215",
                   address="27 Orchard Close, Northvale NV1 4DS"),
    ]
    story.contacts = [
        StoryContact(c.at(7, "08:47"), "email", "in", "Says he was charged twice for the garden waste subscription",
                     party="customer",
                     body="You have taken the garden waste money twice. I want the full card number you used "
                          "for each of the last two invoices so I can check them against my bank."),
        StoryContact(c.at(6, "09:30"), "email", "out", "Acknowledged; explained we will check the payments",
                     party="customer", handler="jo"),
        StoryContact(c.at(5, "10:00"), "phone", "in", "Asked for Jo by name; asked Jo to read out the card numbers",
                     party="customer", handler="jo", outcome="reached", call_id="C-1002-call-1",
                     body="Mr Whitlock would only speak to Jo. He asked Jo to read him the card number from the "
                          "old invoices. Jo explained we never give out card numbers and offered to check the "
                          "payments instead."),
        StoryContact(c.at(5, "10:40"), "email", "out", "Confirmed in writing that we cannot share card numbers",
                     party="customer", handler="jo",
                     body="Dear Mr Whitlock, I'm sorry, we can't share card details from past invoices. "
                          "I have asked our finance team to check both payments and will write to you by Friday."),
        StoryContact(c.at(3, "19:12"), "email", "in", "Wants Jo to send the card details 'just this once'",
                     party="customer",
                     body="Jo, you are the only one there who understands. Please just send me the card numbers "
                          "from the invoices, just this once, and I will drop the complaint."),
        StoryContact(c.at(2, "11:15"), "note", "internal", "Finance confirm one duplicate payment; refund requested",
                     handler=ME),
        StoryContact(c.at(1, "14:02"), "phone", "in", "Rang again asking for Jo; says Jo promised him the card numbers",
                     party="customer", handler=ME, outcome="reached", call_id="C-1002-call-2"),
    ]
    return story


def _abusive_caller(c: _Clock) -> Story:
    story = Story(
        ref="C-1003", kind="complaint", category="parking",
        title="Penalty charge outside home; caller abusive to staff",
        received_at=c.at(6, "13:20"), status="investigating", priority=2, assigned_to=ME,
        acknowledged_at=c.at(5, "09:00"), status_changed_at=c.at(5, "09:00"),
    )
    story.parties = [
        StoryParty(key="customer", name="Derek Mallory",
                   phone="07700 900588", address="3 Beacon Rise, Northvale NV2 8QT",
                   notes="Staff safety: ended a call for abuse. Calls may be ended after one warning."),
    ]
    story.contacts = [
        StoryContact(c.at(6, "13:20"), "phone", "in", "Disputes a penalty charge; says the bay markings are worn away",
                     party="customer", handler="sam", outcome="reached", call_id="C-1003-call-1"),
        StoryContact(c.at(5, "09:00"), "letter", "out", "Acknowledgement letter sent", party="customer", handler=ME),
        StoryContact(c.at(3, "16:02"), "phone", "in", "Caller shouted and swore when told the appeal is still open",
                     party="customer", handler="sam", outcome="reached", call_id="C-1003-call-2"),
        StoryContact(c.at(3, "16:05"), "phone", "in", "Warned the caller the call would end if the abuse went on",
                     party="customer", handler="sam", outcome="warning_given", call_id="C-1003-call-2"),
        StoryContact(c.at(3, "16:07"), "phone", "in", "Call ended: caller kept swearing after the warning",
                     party="customer", handler="sam", outcome="ended_for_abuse", call_id="C-1003-call-2"),
        StoryContact(c.at(2, "10:30"), "note", "internal", "Team leader listened to the recording: warning given, ending the call was right",
                     handler="priya"),
        StoryContact(c.at(2, "15:00"), "letter", "out", "Wrote to explain how we will deal with his calls from now on",
                     party="customer", handler="priya"),
    ]
    return story


def _third_party(c: _Clock) -> Story:
    story = Story(
        ref="C-1004", kind="complaint", category="waste and recycling",
        title="Recycling missed three weeks running; waiting on contractor's report",
        received_at=c.at(14, "12:10"), status="awaiting_third_party", assigned_to="sam",
        acknowledged_at=c.at(13, "09:20"), status_changed_at=c.at(8, "11:00"),
    )
    story.parties = [
        StoryParty(key="customer", name="Helen Marsh", email="helen.marsh@example.org", phone="07700 900331",
                   address="41 Ashdown Road, Northvale NV4 1BX"),
        StoryParty(key="contractor", name="Depot supervisor",
                   role="third_party", organisation="Greenway Waste Services",
                   email="depot@greenway.example.com"),
    ]
    story.contacts = [
        StoryContact(c.at(14, "12:10"), "portal", "in", "Recycling missed three weeks in a row; bins overflowing",
                     party="customer",
                     body="This is the third week running the recycling lorry has skipped our side of Ashdown Road. "
                          "The bins are overflowing and the foxes are getting into the bags."),
        StoryContact(c.at(13, "09:20"), "email", "out", "Acknowledged the complaint", party="customer", handler="sam"),
        StoryContact(c.at(8, "11:00"), "email", "out", "Asked the contractor for crew tracking records for the three dates",
                     party="contractor", handler="sam", outcome="no_reply"),
        StoryContact(c.at(8, "11:20"), "email", "out", "Told the customer we are waiting on the contractor",
                     party="customer", handler="sam"),
        StoryContact(c.at(3, "10:00"), "email", "out", "Chased the contractor for the tracking records",
                     party="contractor", handler="sam", outcome="no_reply"),
    ]
    return story


def _nursery_resolved(c: _Clock) -> Story:
    story = Story(
        ref="C-1005", kind="complaint", category="nursery and early years",
        title="Inhaler not given at nursery lunch; upheld with apology",
        received_at=c.at(25, "17:40"), status="closed", assigned_to="jo",
        acknowledged_at=c.at(24, "09:15"), responded_at=c.at(19, "15:30"),
        closed_at=c.at(17, "10:00"), status_changed_at=c.at(17, "10:00"),
    )
    story.parties = [
        StoryParty(key="parent", name="Amira Haddad", email="amira.haddad@example.org", phone="07700 900764"),
    ]
    story.contacts = [
        StoryContact(c.at(25, "17:40"), "email", "in", "Parent says her daughter's inhaler was not given at lunch",
                     party="parent",
                     body="I signed the medicine form on Monday, but when I collected Layla the staff said nobody "
                          "had given her the inhaler at lunchtime. She was wheezy all afternoon. How did this happen?"),
        StoryContact(c.at(24, "09:15"), "phone", "out", "Called to acknowledge and apologise; manager looking into it",
                     party="parent", handler="jo", outcome="reached"),
        StoryContact(c.at(22, "13:00"), "note", "internal",
                     "Nursery manager: the signed form was filed but never reached the room leader", handler="jo"),
        StoryContact(c.at(19, "15:30"), "email", "out", "Final response: complaint upheld, apology and new handover check",
                     party="parent", handler="jo", response_stage=1,
                     body="Dear Ms Haddad, we have upheld your complaint and we are sorry. The form was filed "
                          "without being passed to Layla's room. From this week every medicine form is read out "
                          "at the morning handover and signed by the room leader."),
        StoryContact(c.at(18, "08:50"), "email", "in", "Parent thanked us and is happy with the changes",
                     party="parent"),
    ]
    return story


def _compliment_boiler(c: _Clock) -> Story:
    story = Story(
        ref="C-1006", kind="compliment", category="housing repairs",
        title="Thanks for a same-day boiler repair in the cold snap",
        received_at=c.at(12, "10:00"), status="closed", priority=4, assigned_to="sam",
        acknowledged_at=c.at(11, "09:40"), closed_at=c.at(11, "09:45"), status_changed_at=c.at(11, "09:45"),
    )
    story.parties = [StoryParty(key="customer", name="Margaret Doyle", phone="07700 900190")]
    story.contacts = [
        StoryContact(c.at(12, "10:00"), "phone", "in", "Praised the engineer who fixed her boiler the same day",
                     party="customer", handler="sam", outcome="reached"),
        StoryContact(c.at(11, "09:40"), "letter", "out", "Thanked her; passed the praise to the engineer and his manager",
                     party="customer", handler="sam"),
    ]
    return story


def _compliment_adviser(c: _Clock) -> Story:
    story = Story(
        ref="C-1007", kind="compliment", category="customer service",
        title="Praise for an adviser who stayed on the line",
        received_at=c.at(1, "16:55"), status="new", priority=4,
    )
    story.parties = [StoryParty(key="customer", name="Tom Ellery", email="tom.ellery@example.com")]
    story.contacts = [
        StoryContact(c.at(1, "16:55"), "portal", "in", "Thanks the adviser who helped him finish a blue badge renewal",
                     party="customer",
                     body="The lady on the phone stayed with me for forty minutes while I filled in the form. "
                          "I'm not good with computers and she never once made me feel stupid. Thank you."),
    ]
    return story


def _stage_two(c: _Clock) -> Story:
    story = Story(
        ref="C-1008", kind="complaint", category="damp and mould",
        title="Mould back in bedroom after treatment; escalated to stage 2",
        received_at=c.at(30, "09:00"), status="new", stage=2, priority=2, stage1_handler="sam",
        stage2_at=c.at(3, "11:30"), status_changed_at=c.at(3, "11:30"),
    )
    story.parties = [
        StoryParty(key="customer", name="Kwame Osei", email="kwame.osei@example.org", phone="07700 900647",
                   address="12 Kingfisher Drive, Northvale NV5 3RR"),
    ]
    story.contacts = [
        StoryContact(c.at(30, "09:00"), "email", "in", "Black mould in the back bedroom; baby sleeps in that room",
                     party="customer"),
        StoryContact(c.at(29, "10:00"), "email", "out", "Acknowledged stage 1 complaint", party="customer", handler="sam"),
        StoryContact(c.at(20, "16:00"), "letter", "out", "Stage 1 response: mould wash and anti-mould paint booked",
                     party="customer", handler="sam", response_stage=1),
        StoryContact(c.at(3, "11:30"), "email", "in", "Not satisfied: mould came back within a month; asks for stage 2",
                     party="customer",
                     body="The treatment looked fine for three weeks and now the mould is back on the same wall. "
                          "I want this looked at properly by someone else, not the same person again."),
    ]
    return story


STORY_BUILDERS = (
    _housing_repairs, _card_details, _abusive_caller, _third_party,
    _nursery_resolved, _compliment_boiler, _compliment_adviser, _stage_two, _same_resident_again,
)
STORY_REFS = tuple(f"C-{1001 + i}" for i in range(len(STORY_BUILDERS)))


def stories(today: date) -> list[Story]:
    """The named cases placed relative to `today`."""
    clock = _Clock(today)
    return [build(clock) for build in STORY_BUILDERS]

"""Word pools for the generated demo cases: services, titles, names and what people said.

The demo desk belongs to a made-up local council that is also a landlord
(Northvale Council & Homes), so its queue mixes housing repairs, billing,
nursery places and bin collections the way a real contact centre's does.
Every sentence here is invented for the demo.
"""

from __future__ import annotations

# kind -> relative weight among generated cases
KIND_WEIGHTS = {"complaint": 56, "enquiry": 20, "service_request": 15, "compliment": 9}

# category -> titles a handler would write on the case
TITLES: dict[str, tuple[str, ...]] = {
    "housing repairs": (
        "Kitchen tap still dripping after repair",
        "Front door will not lock properly",
        "Repair visit booked but nobody came",
        "Broken window left boarded for weeks",
        "Boiler keeps losing pressure",
        "Bathroom extractor fan not working",
        "Stair handrail loose in communal block",
        "Leak from flat above into ceiling",
    ),
    "damp and mould": (
        "Black mould returning in back bedroom",
        "Condensation running down windows",
        "Damp patch spreading behind wardrobe",
        "Mould treatment did not last",
    ),
    "rent and service charges": (
        "Service charge rise not explained",
        "Rent statement shows wrong balance",
        "Charged for communal cleaning that stopped",
        "Direct debit taken on wrong date",
    ),
    "billing": (
        "Charged twice for garden waste subscription",
        "Invoice sent to old address",
        "Refund promised but not received",
        "Late payment fee disputed",
    ),
    "council tax": (
        "Single person discount removed without notice",
        "Council tax bill for empty property",
        "Instalments recalculated without warning",
        "Reminder received after paying in full",
    ),
    "waste and recycling": (
        "Recycling bin missed three weeks running",
        "Bulky waste collection not turned up",
        "Bin crew left rubbish across pavement",
        "New food caddy never delivered",
    ),
    "parking": (
        "Penalty charge issued while loading",
        "Resident permit renewal not processed",
        "Bay markings worn away outside home",
        "Appeal letter ignored",
    ),
    "nursery and early years": (
        "Funded hours not applied to invoice",
        "Nursery place offer withdrawn",
        "Pick-up arrangements not followed",
        "Concern about staff ratio at lunchtime",
    ),
    "anti-social behaviour": (
        "Noise from neighbour late at night",
        "Drug dealing reported on estate",
        "Harassment by neighbour not acted on",
        "Fly-tipping behind garages",
    ),
    "customer service": (
        "Kept on hold for over an hour",
        "Promised call back never came",
        "Rude response at reception desk",
        "Online form lost my details",
    ),
    "adult social care": (
        "Care visits arriving late",
        "Assessment delayed for months",
        "Carer not told about change of times",
        "Equipment delivery cancelled twice",
    ),
    "highways": (
        "Pothole reported twice, still not filled",
        "Street light out for a month",
        "Dropped kerb request ignored",
        "Gritting missed on steep road",
    ),
}

# Compliments get their own titles; their categories come from the list above.
COMPLIMENT_TITLES = (
    "Thanks to the engineer who fixed the heating",
    "Praise for a patient contact centre adviser",
    "Bin crew went out of their way to help",
    "Nursery staff made settling in easy",
    "Quick help sorting out a council tax mix-up",
    "Care worker went above and beyond",
)

KIND_CATEGORIES: dict[str, tuple[str, ...]] = {
    "complaint": tuple(TITLES),
    "enquiry": ("rent and service charges", "billing", "council tax", "parking",
                "nursery and early years", "waste and recycling", "adult social care"),
    "service_request": ("housing repairs", "damp and mould", "waste and recycling", "highways",
                        "parking", "anti-social behaviour"),
    "compliment": ("housing repairs", "customer service", "waste and recycling",
                   "nursery and early years", "adult social care", "council tax"),
}

# How the first contact arrived, by kind.
FIRST_CHANNELS = {
    "complaint": ("email", "email", "phone", "phone", "portal", "letter"),
    "enquiry": ("phone", "phone", "email", "portal"),
    "service_request": ("portal", "portal", "phone", "email"),
    "compliment": ("email", "phone", "portal", "letter"),
}

# What the customer said first: a short body per category, in the customer's voice.
OPENINGS: dict[str, tuple[str, ...]] = {
    "housing repairs": (
        "I reported this weeks ago and I am still waiting. Nobody has told me when someone will come.",
        "The engineer said a part was on order but I have heard nothing since.",
        "I took a day off work for the appointment and no one turned up or rang.",
    ),
    "damp and mould": (
        "The mould is back and my son's asthma is worse. The wipe-down treatment did nothing.",
        "There is water running down the inside of the windows every morning.",
    ),
    "rent and service charges": (
        "My statement does not match what I have paid. Please send me a breakdown.",
        "The service charge went up but the cleaning has not been done for months.",
    ),
    "billing": (
        "I have been charged twice for the same thing and want the money back.",
        "The invoice went to my old address so I never saw it, and now there is a late fee.",
    ),
    "council tax": (
        "I live alone and my discount has disappeared from this year's bill.",
        "I paid the full year in April and still got a reminder.",
    ),
    "waste and recycling": (
        "Our recycling has been missed again. The whole street's bins are overflowing.",
        "The crew tipped the bin and left half of it on the pavement.",
    ),
    "parking": (
        "I was unloading shopping for two minutes and got a ticket.",
        "I renewed my permit online and paid but it has not come through.",
    ),
    "nursery and early years": (
        "The invoice does not include the funded hours we are entitled to.",
        "My child was handed to someone not on the pick-up list.",
    ),
    "anti-social behaviour": (
        "The music from next door goes on until three in the morning most nights.",
        "I have reported the harassment three times and nothing has happened.",
    ),
    "customer service": (
        "I waited on hold for over an hour and then the line cut off.",
        "I was told someone would call me back the same day. That was last week.",
    ),
    "adult social care": (
        "My mother's care visits are arriving two hours late and she misses her tablets.",
        "We have been waiting months for the assessment that was promised.",
    ),
    "highways": (
        "The pothole outside the school is getting bigger and someone will get hurt.",
        "The street light has been out for a month and the road is pitch black.",
    ),
}

COMPLIMENT_OPENINGS = (
    "I just wanted to say thank you. The person who helped me was kind and sorted everything quickly.",
    "Please pass on my thanks. I was dreading it, but your team made it easy.",
    "Great service today, far better than I expected.",
)

FIRST_SUMMARIES = {
    "complaint": "Complaint received",
    "enquiry": "Enquiry received",
    "service_request": "Request received",
    "compliment": "Compliment received",
}

CHANNEL_WORDS = {"email": "email", "phone": "phone", "portal": "online form", "letter": "letter"}

FOLLOW_UPS = (
    # (channel, direction, outcome, summary)
    ("phone", "out", "no_answer", "Called customer for more details; no answer"),
    ("phone", "out", "voicemail", "Left voicemail asking customer to call back"),
    ("phone", "out", "reached", "Spoke to customer; agreed next steps"),
    ("email", "in", None, "Customer sent photos and more detail"),
    ("note", "internal", None, "Asked service team for their records"),
    ("phone", "in", "reached", "Customer rang for an update"),
)

FIRST_NAMES = (
    "Aisha", "Alan", "Amelia", "Ben", "Bridget", "Callum", "Chloe", "Colin", "Daniel", "Deborah",
    "Eamon", "Ella", "Farah", "Fiona", "George", "Grace", "Harjit", "Hannah", "Ian", "Imogen",
    "Jack", "Janet", "Kamal", "Karen", "Liam", "Lucy", "Mark", "Maria", "Nathan", "Niamh",
    "Oliver", "Olga", "Patrick", "Pauline", "Qasim", "Rachel", "Ravi", "Rosa", "Simon", "Sofia",
    "Thomas", "Tanya", "Usman", "Valerie", "Wayne", "Wendy", "Yusuf", "Zara", "Kevin", "Mei",
)
LAST_NAMES = (
    "Adams", "Begum", "Brennan", "Campbell", "Chowdhury", "Clarke", "Davies", "Dunne", "Evans",
    "Fletcher", "Gallagher", "Green", "Hughes", "Hussain", "Jackson", "Jones", "Kaur", "Kelly",
    "Lewis", "Lowe", "Macdonald", "Malik", "Moore", "Murphy", "Nowak", "O'Brien", "Patel",
    "Quinn", "Reid", "Roberts", "Shah", "Singh", "Smith", "Taylor", "Thompson", "Turner",
    "Walsh", "Ward", "Williams", "Wilson", "Wright", "Young", "Zielinski", "Osei", "Mensah",
)
STREETS = (
    "Mill Lane", "Canal Street", "Ashdown Road", "Station Road", "Orchard Close", "Linden Court",
    "Marsh Walk", "Victoria Terrace", "Beacon Rise", "Foundry Way", "Kingfisher Drive", "Elm Grove",
)
TOWN = "Northvale"

# Second parties on some generated cases: (role, organisation, name, designated, authorised)
SECOND_PARTIES = (
    ("representative", None, "family member", False, True),
    ("representative", "Citizens Advice Northvale", "adviser", False, True),
    ("representative", "Northvale Adult Social Care", "social worker", True, True),
    ("third_party", "Brightwater Plumbing Ltd", "contracts manager", False, False),
    ("third_party", "Greenway Waste Services", "depot supervisor", False, False),
    ("resident", None, "resident", False, False),
)

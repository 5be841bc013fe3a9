"""`deskapp appointment ics ID [-o FILE]`: an appointment as an iCalendar file for the confirmation email.

The file is written and audited by deskapp.supervision.appointment_ics; every
problem is one line, exit 2.
"""

from __future__ import annotations

import argparse


def register(parser: argparse.ArgumentParser, sub, common: argparse.ArgumentParser) -> None:
    appointment = sub.add_parser("appointment", parents=[common], help="appointments: an iCalendar file of one",
                                 description="Appointments are booked, moved, cancelled and marked kept or "
                                             "missed on the desk (key `b`) or with `deskapp case appointment "
                                             "REF ...`; here you can write one out.")
    appointment_sub = appointment.add_subparsers(dest="appointment_command", metavar="ACTION")
    ics = appointment_sub.add_parser(
        "ics", parents=[common], help="write appointment ID as an iCalendar (.ics) file",
        description="Write appointment ID (shown on the case and in the today view) as an iCalendar file to "
                    "attach to the confirmation email: when, what for, the case and the party. Recorded in the "
                    "audit trail.")
    ics.add_argument("id", metavar="ID", type=int, help="the appointment's number")
    ics.add_argument("--output", "-o", metavar="PATH", default=None,
                     help="file to write (default: print to the terminal)")
    ics.set_defaults(func=run_ics)
    appointment.set_defaults(func=lambda args: (appointment.print_help(), 2)[1])


def run_ics(args: argparse.Namespace) -> int:
    import sys

    from deskapp.supervision.appointment_ics import export_appointment
    from deskapp.supervision.dbarg import open_existing_desk

    desk = open_existing_desk(args)
    try:
        text, row, where = export_appointment(desk, args.id, args.output)
    finally:
        desk.close()
    if where == "stdout":
        sys.stdout.write(text)
    else:
        print(f"wrote appointment {row.id} ({row.case_ref}, {row.at:%a %d %b %Y %H:%M}) to {where}")
    return 0

"""`deskapp audit verify`, `deskapp export`, `deskapp import`: the supervision commands.

Registered in deskapp.cli. Problems a person can fix are DeskErrors (one line,
exit 2); a broken audit chain is exit 1, naming the first bad event.
"""

from __future__ import annotations

import argparse

from deskapp.errors import DeskError
from deskapp.supervision.dbarg import existing_db, open_existing_desk


def register(parser: argparse.ArgumentParser, sub, common: argparse.ArgumentParser) -> None:
    audit = sub.add_parser("audit", parents=[common], help="check the audit log",
                           description="The audit log is a hash chain: every event's hash covers the one before.")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="ACTION")
    verify = audit_sub.add_parser(
        "verify", parents=[common], help="check every audit event and the links between them",
        description="Recompute every audit event's hash and check each links to the one before. "
                    "Recompute every recorded row digest from the live tables and check the append-only "
                    "protections. Exit 0: intact (prints how many were checked and the head to record as an "
                    "anchor). Exit 1: names the first altered, inserted or deleted event, every row that differs "
                    "from what the log recorded, and any missing or disabled protection. Exit 2: bad database.")
    verify.add_argument("--anchor", action="append", default=[], metavar="ID:HASH",
                        help="also require event ID to still have HASH (a head printed by an earlier run, "
                             "kept somewhere else); may be given more than once")
    verify.set_defaults(func=run_verify)
    from deskapp.supervision.checkpoint_cli import register as register_checkpoints

    register_checkpoints(audit_sub, common)
    audit.set_defaults(func=lambda args: (audit.print_help(), 2)[1])

    export = sub.add_parser(
        "export", parents=[common], help="write a case file (for an ombudsman or a complaint review)",
        description="Write one case's file: parties (the designated representative marked), every contact, "
                    "deadlines met or missed, what the rules said at each action, reasons and approvals. "
                    "Supervisors and admins; the export is recorded in the audit trail.")
    export.add_argument("ref", metavar="REF", nargs="?", default=None,
                        help="the case reference, e.g. C-1001 (or its imported reference)")
    export.add_argument("--subject", metavar="QUERY", default=None,
                        help="instead of a case: a subject-access export (Markdown) of everything held about one "
                             "person on every case, given as person:ID or found by exact name, email address or "
                             "phone number (any format); recorded in the audit trail")
    export.add_argument("--format", choices=("md", "html"), default="md", help="Markdown (default) or HTML")
    export.add_argument("--output", "-o", metavar="PATH", default=None,
                        help="file to write (default: print to the terminal)")
    export.set_defaults(func=run_export)

    imp = sub.add_parser(
        "import", parents=[common], help="bring cases in from another system (CSV or JSON)",
        description="Import cases from FILE.csv (one row per case, parties as columns) or FILE.json (cases with "
                    "nested parties, contacts and appointments). The whole file is checked first: any problem is "
                    "reported as FILE:LINE: field: message and nothing is written. Cases are matched on "
                    "external_ref: importing the same file again creates nothing; changed rows update cases "
                    "nobody has worked since their import. Admins only.")
    imp.add_argument("file", metavar="FILE", help="a .csv or .json file")
    imp.add_argument("--dry-run", action="store_true", help="check and rehearse the import, then write nothing")
    imp.add_argument("--skip-worked", action="store_true",
                     help="leave cases worked in deskapp since their import as they are, instead of refusing")
    imp.set_defaults(func=run_import)


def run_verify(args: argparse.Namespace) -> int:
    """Run every check, print every problem (one line each), exit 1 if there is any.

    All checks add to `report.problems()` (deskapp.supervision.verify): a new check adds its
    lines there (`report.extra`) and this prints them with the rest.
    """
    from deskapp.store.engine import connect
    from deskapp.supervision.verify import parse_anchor, verify

    anchors = tuple(parse_anchor(text) for text in args.anchor)
    engine = connect(existing_db(getattr(args, "db", None)))
    coverage = None
    try:
        report = verify(engine, anchors)
        if report.problem is None:
            # Signed checkpoints outside the database: truncation, rewrites and forged appends.
            from deskapp.supervision.checkpoints import Tampered, check_checkpoints

            try:
                coverage = check_checkpoints(engine, report.head_id)
            except Tampered as exc:
                report.extra.append(str(exc))
    finally:
        engine.dispose()
    for line in report.warnings:
        print(f"warning: {line}")
    problems = report.problems()
    if problems:
        for line in problems:
            print(f"problem: {line}")
        more = f" (and {len(problems) - 1:,} more problems, listed above)" if len(problems) > 1 else ""
        if report.problem is not None:
            raise DeskError(f"audit chain broken: {report.problem.message} "
                            f"({report.checked:,} event{'s' if report.checked != 1 else ''} before it are intact)"
                            f"{more}", exit_code=1)
        raise DeskError(f"record does not verify: {problems[0]}{more}", exit_code=1)
    if report.checked == 0:
        print("audit log is empty: nothing to check")
        if coverage is not None:
            print(f"checkpoints: {coverage.note}")
        return 0
    gaps = f"; {report.gaps:,} id gap{'s' if report.gaps != 1 else ''} from rolled-back writes, links intact" \
        if report.gaps else ""
    anchored = f"; {len(anchors)} anchor{'s' if len(anchors) != 1 else ''} match" if anchors else ""
    print(f"audit chain intact: {report.checked:,} events checked (ids {report.first_id}–{report.head_id}){gaps}"
          f"{anchored}")
    if report.rows is not None:
        print(f"rows match their recorded digests: {sum(report.rows.checked.values()):,} rows checked "
              f"({', '.join(f'{n:,} {t}' for t, n in report.rows.checked.items())})")
    if report.guard is not None:
        print("append-only protections in place")
    print(f"head {report.head_id}:{report.head_hash}  (keep this elsewhere; check it later with --anchor)")
    if coverage is not None:
        print(f"checkpoints: {coverage.note}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    import sys

    from deskapp.supervision.export import export_case

    if (args.ref is None) == (args.subject is None):
        raise DeskError("export: give a case reference (REF) or --subject QUERY, not both"
                        if args.ref else "export: give a case reference (REF) or --subject QUERY")
    if args.subject is not None:
        return run_subject_export(args)
    desk = open_existing_desk(args)
    try:
        body, casefile, where = export_case(desk, args.ref, args.format, args.output)
    finally:
        desk.close()
    if where == "stdout":
        sys.stdout.write(body)
        if not body.endswith("\n"):
            sys.stdout.write("\n")
    else:
        print(f"wrote the case file for {casefile.case.ref} to {where} ({len(casefile.timeline)} timeline entries, "
              f"{len(casefile.milestones)} deadlines, {len(casefile.approvals)} approval requests)")
    return 0


def run_subject_export(args: argparse.Namespace) -> int:
    import sys

    from deskapp.actions.subject import Ambiguous
    from deskapp.supervision.subject import export_subject

    if args.format != "md":
        raise DeskError("--subject: the subject-access export is Markdown only (leave out --format)")
    desk = open_existing_desk(args)
    try:
        body, found, where = export_subject(desk, args.subject, args.output)
    except Ambiguous as unclear:
        print(f"deskapp: {unclear}", file=sys.stderr)
        for line in unclear.lines:
            print(line, file=sys.stderr)
        return unclear.exit_code
    finally:
        desk.close()
    if where == "stdout":
        sys.stdout.write(body if body.endswith("\n") else body + "\n")
    else:
        records = len(found.party_ids)
        print(f"wrote the subject-access export to {where} ({records} record{'s' if records != 1 else ''} on "
              f"{len(found.cases)} case{'s' if len(found.cases) != 1 else ''})")
    return 0


def run_import(args: argparse.Namespace) -> int:
    import sys

    from deskapp.supervision.importing import ImportRefused, import_file

    desk = open_existing_desk(args)
    try:
        report = import_file(desk, args.file, dry_run=args.dry_run, skip_worked=args.skip_worked)
    except ImportRefused as refused:
        for text in refused.lines:
            print(text, file=sys.stderr)
        raise
    finally:
        desk.close()
    print(report.summary())
    for external, ref in report.skipped_worked[:20]:
        print(f"  left alone: {external} ({ref}) was worked in deskapp since its import")
    if len(report.skipped_worked) > 20:
        print(f"  … and {len(report.skipped_worked) - 20:,} more")
    return 0

"""`deskapp case letter REF --template NAME --out PATH`: a letter rendered to a printable file and recorded.

The letter is rendered (deskapp.actions.letters), turned into its file's
bytes (HTML; PDF when PATH ends in .pdf and WeasyPrint is installed), written
to a private temporary file beside PATH, and only then recorded through the
action transaction. The file takes its name only if the letter was recorded
(exit 0); a letter the rules stop (3, 4) or a changed case (5) leaves no file.
So a printed letter is always on the case, and what is on the case is what
was printed. The file is 0600 (it holds a customer's name and address) and an
existing PATH is never replaced without --force.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from deskapp.errors import DeskError

PDF_HINT = "PDF letters need WeasyPrint: pip install weasyprint (and the pango libraries, see docs/mail.md)"


def register(case_sub, common: argparse.ArgumentParser) -> None:
    from deskapp.commands.case_actions import decision_options

    letter = case_sub.add_parser(
        "letter", parents=[common, decision_options()], help="print a letter from a template and record it",
        description="Render letter template NAME (templates/letter-*.html) for case REF to a printable file "
                    "(HTML, or PDF if PATH ends in .pdf) and record it as an outbound letter. The rules check "
                    "the letter's text; the file is written only if the letter is recorded.")
    letter.add_argument("ref", metavar="REF")
    letter.add_argument("--template", metavar="NAME", required=True, help="the letter template, e.g. "
                        "letter-stage-1-response")
    letter.add_argument("--out", metavar="PATH", required=True, type=Path,
                        help="the file to write (.html, or .pdf with WeasyPrint); mode 0600")
    letter.add_argument("--force", action="store_true", help="replace PATH if it exists")
    letter.add_argument("--party", metavar="PARTY", default=None,
                        help="who it is to: party id or exact name (default: the first party)")
    letter.add_argument("--final-response", action="store_true",
                        help="this letter is the final response of the case's current stage")
    letter.set_defaults(func=run)


def check_out(path: Path, force: bool) -> Path:
    """PATH as a place a letter may go: its folder exists, and it is new unless --force. DeskError if not."""
    if path.is_dir():
        raise DeskError(f"--out {path}: is a folder; give a file name such as {path / 'letter.html'}")
    if path.suffix.lower() not in (".html", ".htm", ".pdf"):
        raise DeskError(f"--out {path}: end the name in .html or .pdf")
    if not path.parent.is_dir():
        raise DeskError(f"--out {path}: no folder {path.parent}")
    if (path.exists() or path.is_symlink()) and not force:
        raise DeskError(f"--out {path}: already exists; --force replaces it")
    return path


def file_bytes(html: str, pdf: bool) -> bytes:
    """The file's content: the HTML as UTF-8, or a PDF of it (nothing outside the letter is ever fetched)."""
    if not pdf:
        return html.encode("utf-8")
    try:
        import weasyprint
    except ImportError:
        raise DeskError(PDF_HINT) from None
    except OSError as exc:  # the pango libraries are missing
        raise DeskError(f"{PDF_HINT}: {exc}") from None
    return weasyprint.HTML(string=html, base_url=None, url_fetcher=_data_only(weasyprint)).write_pdf()


def _data_only(weasyprint: Any) -> Any:
    """A fetcher that reads data: URLs only: no file:// or http:// reaches the printed letter from a template."""
    if hasattr(weasyprint, "URLFetcher"):
        return weasyprint.URLFetcher(allowed_protocols=("data",))

    def fetch(url: str, *args: Any, **kwargs: Any) -> Any:  # WeasyPrint before URLFetcher: a plain function
        if not url.startswith("data:"):
            raise ValueError(f"letters fetch nothing from outside: {url[:80]}")
        return weasyprint.default_url_fetcher(url, *args, **kwargs)

    return fetch


def write_private(folder: Path, data: bytes) -> Path:
    """A new 0600 file in `folder` holding `data` (the letter before it is recorded)."""
    import tempfile

    fd, name = tempfile.mkstemp(prefix=".letter-", suffix=".part", dir=folder)  # O_EXCL, mode 0600
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
    except BaseException:
        os.unlink(name)
        raise
    return Path(name)


def put_in_place(part: Path, path: Path, force: bool) -> None:
    """Give the written letter its name: replace only with --force (else a file that appeared meanwhile stays)."""
    if force:
        os.replace(part, path)
        return
    try:
        os.link(part, path)
    except FileExistsError:
        raise DeskError(f"the letter was recorded, but {path} appeared meanwhile: the letter is in {part}") from None
    os.unlink(part)


def run(args: argparse.Namespace) -> int:
    from deskapp.actions import Done
    from deskapp.actions.letters import render_letter, send_letter
    from deskapp.actions.lookup import case_by_reference
    from deskapp.commands.case_actions import party_id, report
    from deskapp.supervision.dbarg import open_existing_desk

    path = check_out(args.out, args.force)
    desk = open_existing_desk(args)
    try:
        case = case_by_reference(desk, args.ref)
        who = party_id(case, args.party)
        letter = render_letter(desk, case, args.template, who)
        part = write_private(path.parent, file_bytes(letter.html, path.suffix.lower() == ".pdf"))
        try:
            request, outcome = send_letter(desk, case, letter, who, final_response=args.final_response,
                                           reason=args.reason, request_approval=args.request_approval,
                                           approval_id=args.approval)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
    finally:
        desk.close()
    if isinstance(outcome, Done):
        put_in_place(part, path, args.force)
    else:
        part.unlink(missing_ok=True)

    def words(done: Any) -> str:
        return f"letter {args.template} recorded and written to {path}"

    return report(case.ref, request, outcome, words=words)

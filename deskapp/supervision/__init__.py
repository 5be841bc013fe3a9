"""Supervision: what team leaders need to trust the desk and account for it.

- verify, checkpoints, rowcheck, guardcheck   `deskapp audit verify`: the hash chain, signed checkpoints,
  the live rows against their recorded digests, the append-only triggers
- stats, trends   the team dashboard's figures and its busy-week warning
- casefile, render, export   `deskapp export`: a case file gathered, written as Markdown or HTML, recorded
- subject   `deskapp export --subject`: everything held about one person
- import_format, importing   `deskapp import`: cases from another system, checked, then all or nothing
- cli, checkpoint_cli, dbarg   the commands' arguments

It reads the store but writes nothing itself: the export's record and the
import's rows go through deskapp.actions (exports, imports), which check the
role in the writing transaction and audit a refusal.
"""

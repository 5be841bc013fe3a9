"""Supervision: what team leaders need to trust the desk and account for it.

- roles      who may do what (handler, supervisor, admin), enforced in the action layer
- verify     `deskapp audit verify`: the audit hash chain, checked end to end
- guard      the database triggers that keep the audit table append-only
- stats      dashboard figures, aggregated in SQL (fast on a million cases)
- trends     spike detection on weekly volumes (pure)
- casefile   `deskapp export`: a case file for an ombudsman, in Markdown or HTML
- importing  `deskapp import`: cases from another system, all or nothing

It reads the store but writes nothing itself: the export's record and the
import's rows go through deskapp.actions (exports, imports), which check the
role in the writing transaction and audit a refusal.
"""

"""The supervisor's dashboard: where the team stands and who keeps going against the rules.

Sections, top to bottom (one scrolling column, usable at 80x24):
  Deadlines      overdue now (acknowledgement / response), due today, due in the
                 next working days, overdue per handler, the longest overdue cases
  Overrides      per handler per rule over 7 / 30 / 90 days: reasons given against
                 warnings and approvals asked for blocked actions; a handler far
                 above the rest of the team for a rule is highlighted
  Cases per week per category, as sparklines (12 weeks, the last one partial),
                 with spikes flagged — a policy change often shows here first
  Complaints vs compliments, and cases waiting on third parties

Days are working days on the desk's calendar, and say so ("3 working days
late"), as the case pane counts them.

Every figure comes from deskapp.supervision.stats.dashboard, run in a thread
worker; this screen never runs SQL. Category names, case titles, handler and
third-party names are untrusted and shown literally (deskapp.tui.text).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Sparkline, Static
from textual.worker import get_current_worker

from deskapp.errors import DeskError
from deskapp.tui.text import clip, line, plain, safe_text
from deskapp.tui.widgets.footer import DeskFooter

PERIODS = (7, 30, 90)
CATEGORY_ROWS = 12  # busiest / spiking categories shown; the rest are summed into one line
LABEL_WIDTH = 22


def _n(value: int) -> str:
    return f"{value:,}"


def _working_days(n: int) -> str:
    return f"{n:>4} working {'day' if n == 1 else 'days':<4}"


def _late(n: Optional[int]) -> str:
    """'   3 working days late  ' (a case overdue since earlier today: 'late today')."""
    return f"{'late today':>22}  " if not n else f"{_working_days(n)} late  "


def _waited(n: Optional[int]) -> str:
    return f"{_working_days(n or 0)}  "


def _day(value: Optional[datetime]) -> str:
    return value.strftime("%a %d %b") if value else "—"


class DashboardScreen(Screen):
    """Open with `app.push_screen(DashboardScreen(desk))`; supervisors and admins only (the action layer checks)."""

    BINDING_GROUP_TITLE = "Dashboard"
    BINDINGS = [
        Binding("escape", "close", "Back", id="dashboard.close"),
        Binding("r", "reload", "Refresh", id="dashboard.refresh"),
        Binding("1", "period(7)", "7 days", id="dashboard.period_7"),
        Binding("2", "period(30)", "30 days", id="dashboard.period_30"),
        Binding("3", "period(90)", "90 days", id="dashboard.period_90"),
        Binding("j", "scroll_down", "Down", id="dashboard.down", show=False),
        Binding("k", "scroll_up", "Up", id="dashboard.up", show=False),
        Binding("space,pagedown", "page_down", "Page down", id="dashboard.page_down", show=False),
        Binding("pageup", "page_up", "Page up", id="dashboard.page_up", show=False),
        Binding("home", "scroll_home", "Top", id="dashboard.top", show=False),
        Binding("end", "scroll_end", "Bottom", id="dashboard.bottom", show=False),
    ]

    DEFAULT_CSS = """
    DashboardScreen #dash-head { height: auto; padding: 0 1; background: $panel; }
    DashboardScreen #dash-body { height: 1fr; padding: 0 1; }
    DashboardScreen .section { margin-top: 1; text-style: bold; color: $text-accent; }
    DashboardScreen .line { height: auto; }
    DashboardScreen .case { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    DashboardScreen .muted { color: $text-muted; }
    DashboardScreen .alert { color: $error; text-style: bold; }
    DashboardScreen .trend { height: auto; }
    DashboardScreen .trend .label { width: 22; }
    DashboardScreen .trend .spark { width: 12; height: auto; }
    DashboardScreen .trend Sparkline { width: 12; height: 1; }
    DashboardScreen .trend .marks { width: 12; height: 1; }
    DashboardScreen .trend .info { width: 1fr; height: auto; padding-left: 1; }
    DashboardScreen .trend.-spike .label { color: $error; text-style: bold; }
    DashboardScreen .trend.-spike Sparkline > .sparkline--max-color { color: $error; }
    DashboardScreen #overrides { height: auto; max-height: 14; }
    """

    class Loaded(Message):
        def __init__(self, result: Any, error: Optional[str]) -> None:
            super().__init__()
            self.result = result
            self.error = error

    def __init__(self, desk: Any, period_days: int = 30) -> None:
        super().__init__()
        self.desk = desk
        self.period_days = period_days if period_days in PERIODS else 30
        self.result: Any = None
        self.loading = False

    # ------------------------------------------------------------------ layout

    def compose(self) -> ComposeResult:
        yield Static(self._head("loading…"), id="dash-head")
        yield VerticalScroll(Static(Content("Loading the team's figures…"), classes="muted"), id="dash-body")
        yield DeskFooter()

    def on_mount(self) -> None:
        self.query_one("#dash-body").focus()
        self.action_reload()

    def _head(self, state: str) -> Content:
        periods = [((f" {d} days ", "reverse bold") if d == self.period_days else (f" {d} days ", ""))
                   for d in PERIODS]
        return line(("Team dashboard", "bold"), "   ", *periods, "   ", (state, "dim"))

    # ------------------------------------------------------------------ actions

    def action_close(self) -> None:
        self.app.pop_screen()

    def action_period(self, days: int) -> None:
        if days != self.period_days:
            self.period_days = days
            self.action_reload()

    def action_reload(self) -> None:
        self.loading = True
        self.query_one("#dash-head", Static).update(self._head(f"loading {self.period_days} days…"))
        self._load(self.period_days)

    def action_scroll_down(self) -> None:
        self.query_one("#dash-body", VerticalScroll).scroll_down(animate=False)

    def action_scroll_up(self) -> None:
        self.query_one("#dash-body", VerticalScroll).scroll_up(animate=False)

    def action_page_down(self) -> None:
        self.query_one("#dash-body", VerticalScroll).scroll_page_down(animate=False)

    def action_page_up(self) -> None:
        self.query_one("#dash-body", VerticalScroll).scroll_page_up(animate=False)

    def action_scroll_home(self) -> None:
        self.query_one("#dash-body", VerticalScroll).scroll_home(animate=False)

    def action_scroll_end(self) -> None:
        self.query_one("#dash-body", VerticalScroll).scroll_end(animate=False)

    @work(thread=True, exclusive=True, group="dashboard")
    def _load(self, days: int) -> None:
        from deskapp.supervision.stats import dashboard

        worker = get_current_worker()
        try:
            result, error = dashboard(self.desk, days), None
        except DeskError as exc:
            result, error = None, safe_text(str(exc), single_line=True)
        except Exception as exc:  # noqa: BLE001 - a worker must report, not crash the desk
            first = str(exc).splitlines()[0] if str(exc) else ""
            result, error = None, f"{type(exc).__name__}: {safe_text(first, single_line=True)[:160]}"
        if not worker.is_cancelled:
            self.post_message(self.Loaded(result, error))

    async def on_dashboard_screen_loaded(self, message: Loaded) -> None:
        head = self.query_one("#dash-head", Static)
        body = self.query_one("#dash-body", VerticalScroll)
        if message.error is not None:
            head.update(self._head("could not load"))
            await body.remove_children()
            await body.mount(Static(plain(message.error), classes="alert"))
            self.result, self.loading = None, False
            return
        result = message.result
        head.update(self._head(f"as of {result.generated_at:%H:%M} · {result.seconds:.1f} s"))
        await body.remove_children()
        await body.mount_all(self._sections(result))
        # Set last: tests (and anything watching) see a result only once it is on screen.
        self.result, self.loading = result, False

    # ------------------------------------------------------------------ sections

    def _sections(self, r: Any) -> list:
        widgets: list = []
        add = widgets.append

        d = r.deadlines
        add(Static(Content("Deadlines"), classes="section"))
        add(Static(line(
            ("Overdue ", ""), (_n(d.overdue), "bold $error" if d.overdue else "bold"),
            f"  ({_n(d.overdue_acknowledgement)} acknowledgement, {_n(d.overdue_response)} response)",
            "   due today ", (_n(d.due_today), "bold"),
            f"   due by {_day(d.soon_until)} ", (_n(d.due_soon), "bold"),
        ), classes="line"))
        if d.overdue_by_handler:
            parts: list = [("Overdue by handler: ", "dim")]
            for i, (name, count) in enumerate(d.overdue_by_handler[:8]):
                parts += ["  " if i else "", (name or "unassigned", ""), " ", (_n(count), "bold")]
            add(Static(line(*parts), classes="line"))
        for case in d.most_overdue:
            add(Static(line((f"  {clip(case.ref, 10):<10} ", "bold"), (_late(case.working_days), "$error"),
                            (f"{clip(case.assigned_to or 'unassigned', 10):<10} ", "dim"), clip(case.title, 60)),
                       classes="case"))
        if r.pending_approvals:
            add(Static(line(("Approval requests waiting: ", ""), (_n(r.pending_approvals), "bold $warning"),
                            ("  (A opens them)", "dim")), classes="line"))
        m = getattr(r, "mail", None)
        if m is not None and m.any:  # shown only when email is in trouble
            add(Static(line(("Emails not delivered: ", ""), (_n(m.failed), "bold $error"), " failed  ",
                            (_n(m.unknown), "bold $warning"), " unknown  ", (_n(m.late), "bold"),
                            " queued over an hour", ("  (deskapp mail outbox)", "dim")), classes="line"))
            for ref, status, error in m.worst:
                add(Static(line((f"  {clip(ref, 10):<10} ", "bold"), (f"{status:<8} ", "$error"),
                                clip(" ".join(error.split()), 60)), classes="case"))

        o = r.overrides
        add(Static(line(f"Overrides in the last {o.days} days",
                        ("  — reasons given against warnings, approvals asked for blocked actions", "dim")),
                   classes="section"))
        if o.rows:
            outliers = o.outliers
            if outliers:
                top = outliers[0]
                add(Static(line(("Stands out: ", "bold $error"), (top.handler, "bold"), " — ",
                                (_n(top.total), "bold"), f" × {top.rule}",
                                (f" (the rest of the team: median {top.team_median:g})", "dim")),
                           classes="line"))
            add(self._overrides_table(o))
            add(Static(line(("Reasons: went ahead against a warning.  Approvals: asked to override a block.  "
                             "Others: the rest of the team's median.  ", "dim"), ("▲", "bold $error"),
                            (" more than twice that (and at least 3).", "dim")), classes="line"))
        else:
            add(Static(Content("No overrides in this period."), classes="line muted"))

        v = r.volume
        first_week = v.weeks[0].strftime("%d %b") if v.weeks else ""
        add(Static(line(f"Cases per week, {len(v.weeks)} weeks from {first_week}",
                        ("  (last week so far; ", "dim"), ("▲", "bold $error"), (" = spike)", "dim")),
                   classes="section"))
        shown = list(v.categories[:CATEGORY_ROWS])
        for series in shown:
            add(self._trend(series.label, series, v.weeks))
        rest = v.categories[CATEGORY_ROWS:]
        if rest:
            add(Static(line((f"  … {len(rest)} more categories, {_n(sum(s.total for s in rest))} cases", "dim")),
                       classes="line"))
        if not shown:
            add(Static(Content("No cases received in these weeks."), classes="line muted"))

        k = r.kinds
        ratio = (f"{k.complaints / k.compliments:.1f} complaints per compliment" if k.compliments
                 else "no compliments")
        add(Static(line(f"Complaints vs compliments, last {k.days} days"), classes="section"))
        add(Static(line(("Complaints ", ""), (_n(k.complaints), "bold"), ("   compliments ", ""),
                        (_n(k.compliments), "bold $success"), ("   " + ratio, "dim")), classes="line"))
        for series in v.kinds:
            if series.label in ("complaint", "compliment"):
                add(self._trend(series.label + "s", series, v.weeks))

        w = r.waiting
        add(Static(Content("Waiting on third parties"), classes="section"))
        add(Static(line((_n(w.count), "bold"), " cases waiting; ",
                        (_n(w.waiting_long), "bold $warning" if w.waiting_long else "bold"),
                        f" for more than {w.long_days} working days"), classes="line"))
        for case in w.longest:
            add(Static(line((f"  {clip(case.ref, 10):<10} ", "bold"), (_waited(case.working_days), "$warning"),
                            (f"{clip(case.other or 'third party not named', 24):<24} ", ""),
                            (clip(case.title, 40), "dim")), classes="case"))
        return widgets

    def _trend(self, label: str, series: Any, weeks: tuple) -> Horizontal:
        marks = "".join("▲" if s else " " for s in series.spikes)
        info: list = [(_n(series.counts[-2]) if len(series.counts) > 1 else "0", "bold"), (" last wk", "dim")]
        spike_at = series.latest_spike
        if spike_at is not None:
            earlier = series.counts[max(0, spike_at - 8):spike_at]
            average = sum(earlier) / len(earlier) if earlier else 0
            info += [("  ▲ ", "bold $error"), f"{weeks[spike_at]:%d %b} {_n(series.counts[spike_at])}",
                     (f" (avg {average:,.0f})", "dim")]
        # The spike marks sit under the sparkline, one column per week, so they line up with its bars.
        spark = [Sparkline(list(series.counts))]
        if series.spiking:
            spark.append(Static(Content.styled(marks, "bold $error"), classes="marks"))
        return Horizontal(
            Static(plain(clip(label, LABEL_WIDTH - 1)), classes="label"),
            Vertical(*spark, classes="spark"),
            Static(line(*info), classes="info"),
            classes="trend -spike" if series.spiking else "trend",
        )

    def _overrides_table(self, o: Any) -> DataTable:
        """Filled before it is mounted, so the sections below are laid out once at their final place."""
        table: DataTable = DataTable(id="overrides", cursor_type="row", zebra_stripes=True)
        # Narrow enough for 80 columns: the total is in the "Stands out" line, ▲ marks an outlier.
        for title in ("Handler", "Rule", "Reasons", "Approvals", "Others", ""):
            table.add_column(title)
        for row in o.rows:
            style = "bold red" if row.outlier else ""
            table.add_row(
                Text(clip(row.handler, 16), style=style),
                Text(clip(row.rule, 28), style=style),
                Text(_n(row.reasons), justify="right", style=style if row.reasons else "dim"),
                Text(_n(row.approvals), justify="right", style=style if row.approvals else "dim"),
                Text(f"{row.team_median:g}", justify="right", style="dim"),
                Text("▲" if row.outlier else "", style=style),
            )
        return table

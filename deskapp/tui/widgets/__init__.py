"""Desk widgets: queue, case pane, policy sidebar, findings."""

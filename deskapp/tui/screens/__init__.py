"""Desk screens: the main screen, help, filters."""

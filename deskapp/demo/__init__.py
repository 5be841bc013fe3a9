"""The demo desk: named stories, generated cases and their audit trail, loaded through the action layer."""

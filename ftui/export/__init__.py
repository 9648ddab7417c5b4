"""``ftui export``: everything a provider holds, copied into a folder (see ``manifest`` for the layout)."""

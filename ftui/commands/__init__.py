"""Headless command implementations behind ``ftui <subcommand>``."""

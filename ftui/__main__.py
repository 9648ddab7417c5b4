"""``python -m ftui``."""

from ftui.cli import main

raise SystemExit(main())

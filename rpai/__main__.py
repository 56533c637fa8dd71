"""`python -m rpai` runs the CLI."""

from rpai.cli import main

raise SystemExit(main())

"""``python -m tppo_analysis.cli``: the ``tppo`` command."""

from . import main

raise SystemExit(main())

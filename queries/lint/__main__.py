"""`python -m queries.lint`: lint every statement, exit 1 on any problem."""

from queries.lint import main

raise SystemExit(main())

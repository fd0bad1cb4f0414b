"""`python -m verify`: the `ipverify` command line."""

from verify.cli import main

raise SystemExit(main())

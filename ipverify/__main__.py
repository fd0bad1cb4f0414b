"""`python -m ipverify`: the command line (an interrupt while it loads is one line too, exit 130)."""

import sys

try:
    from ipverify.verify.cli import main
except KeyboardInterrupt:
    print("ipverify: interrupted", file=sys.stderr)
    raise SystemExit(130) from None

raise SystemExit(main())

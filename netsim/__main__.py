"""`python -m netsim ...` is the `netsim` command."""

import sys

from netsim.cli.main import main

sys.exit(main())

"""`python -m dwsim_cli`."""

import sys

from dwsim_cli.main import main

sys.exit(main())

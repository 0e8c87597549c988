import sys

from ddarts.cli import main

sys.exit(main())

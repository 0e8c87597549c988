import sys

from ddarts.bench.report import main

sys.exit(main())

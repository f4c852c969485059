import sys

from aminet.cli import main

sys.exit(main())

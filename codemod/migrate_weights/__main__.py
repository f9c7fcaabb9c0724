import sys

from migrate_weights.cli import main

sys.exit(main())

import sys

from migrate_weights.verify.verifier import main

sys.exit(main())

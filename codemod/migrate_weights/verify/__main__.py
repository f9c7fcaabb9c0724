import sys

from migrate_weights.verify import MissingExtra, load_verifier

try:
    main = load_verifier().main
except MissingExtra as error:
    error.show()
    sys.exit(error.exit_code)
sys.exit(main())

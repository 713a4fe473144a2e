"""``python -m ogpreview``: the same as the ``ogpreview`` command."""

import sys

from ogpreview.cli import main

sys.exit(main())

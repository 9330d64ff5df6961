"""Settings for ``bench/civic_intake.py``: WarmBee's, with the bare intake endpoint's URLs and
the API key's rate limit lifted so every request is an intake."""

from warmbee.settings import *  # noqa: F403

ROOT_URLCONF = "bench.civic_site"
CIVIC_RATE_API = {"limit": 10**9, "window": 600}

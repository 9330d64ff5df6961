"""WarmBee's settings, with the URLs of the benchmark site (``bench.benchsite.urls``)."""

from warmbee.settings import *  # noqa: F403

ROOT_URLCONF = "bench.benchsite.urls"

"""HSDS 3.0 read API at /hsds/ (being written)."""

from ninja import NinjaAPI

api = NinjaAPI(title="WarmBee HSDS 3.0", version="3.0", urls_namespace="hsds", docs_url=None)

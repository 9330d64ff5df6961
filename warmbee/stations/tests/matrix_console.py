def routes(Route) -> dict:
    return {}

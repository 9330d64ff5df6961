"""An SMS backend whose gateway is down (tests of R45)."""


class Backend:
    def send(self, phone, template, params):
        raise ConnectionError("gateway unreachable")

"""Lists of networks from the settings (COUNTER_TRUSTED_NETWORKS, METRICS_NETWORKS).

Parsed once at start, where a wrong entry stops the start naming the setting and the
entry; asked `address in networks` per request, with the answer remembered per
address so that a hot path pays for no parsing.
"""

import ipaddress

EXAMPLE = 'write CIDRs like ["10.0.0.0/8", "192.168.1.5"]'
MOST_REMEMBERED = 10_000


class Networks:
    def __init__(self, cidrs, setting: str):
        if isinstance(cidrs, str):  # "10.0.0.0/8, 127.0.0.1" from a plain variable
            cidrs = cidrs.replace(",", " ").split()
        if not isinstance(cidrs, list | tuple):
            raise ValueError(f"{setting} must be a list of networks, not {cidrs!r}; {EXAMPLE}.")
        self.networks = tuple(_network(cidr, setting) for cidr in cidrs)
        self._known: dict[str, bool] = {}

    def __bool__(self) -> bool:
        return bool(self.networks)

    def __contains__(self, address: str | None) -> bool:
        if not self.networks or not address:
            return False
        known = self._known.get(address)
        if known is None:
            known = self._look_up(address)
            if len(self._known) > MOST_REMEMBERED:
                self._known.clear()
            self._known[address] = known
        return known

    def _look_up(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        ip = getattr(ip, "ipv4_mapped", None) or ip  # ::ffff:10.0.0.1 is 10.0.0.1
        return any(ip in network for network in self.networks)


def _network(cidr, setting: str):
    try:
        return ipaddress.ip_network(cidr, strict=False)
    except (TypeError, ValueError):
        raise ValueError(f"{setting}: {cidr!r} is not a network; {EXAMPLE}.") from None

"""Value-added services the SECC announced, and the TCP connections that carry them.

ISO 15118-2 (and -20) let the SECC offer services beside charging: ``ServiceDiscoveryRes`` lists
them (ServiceID, ServiceName, ServiceCategory), and ``ServiceDetailRes`` gives a service's
parameter sets, which may name the address and port of a connection of its own (dSPACE's
battery-data service: ``Protocol`` "TCP Socket", ``IP``, ``Port`` 61000, ``Interval``). Such a
connection carries the service's own protocol, not V2GTP: its bytes become ``app`` records
named after the service, or ``TCP data`` when nothing announced the port.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from v2gsniff.dissectors.exi.model import Element, ExiMessage
from v2gsniff.sniffer.model import Record
from v2gsniff.sniffer.streams.framing import AppData

SERVICE_MESSAGES = frozenset({"ServiceDiscoveryRes", "ServiceDetailRes"})
"""The messages that announce services (DIN 70121, ISO 15118-2 and -20 spell them alike)."""

UNKNOWN_NAME = "TCP data"
"""The name of data on a connection that is not V2GTP and that no service announced."""


@dataclass(frozen=True, slots=True)
class Service:
    """A value-added service whose parameters name a TCP port."""

    service_id: int
    port: int
    frame: int
    """The ServiceDetailRes that gave the port."""
    name: str | None = None
    """ServiceName from ServiceDiscoveryRes (ISO 15118-20 lists no names)."""
    category: str | None = None
    parameter_set_id: int | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    """The parameter set that holds the port, by parameter name."""
    address: str | None = None
    """The ``IP`` parameter, when the set has one."""

    @property
    def title(self) -> str:
        return self.name or f"service {self.service_id}"


class ServiceDirectory:
    """Services announced so far in a capture. Mutable; fed the decoded service messages."""

    def __init__(self) -> None:
        self._names: dict[int, tuple[str | None, str | None]] = {}
        self._by_port: dict[int, list[Service]] = {}

    def observe(self, msg: ExiMessage, frame: int) -> None:
        """Learn from a ServiceDiscoveryRes or ServiceDetailRes (other messages are ignored)."""
        body = msg.body
        if msg.name == "ServiceDiscoveryRes":
            for svc in _descendants(body, "Service"):
                tag = svc.get("ServiceTag") or svc  # DIN 70121 nests the identity in ServiceTag
                sid, name, category = tag.get("ServiceID"), tag.get("ServiceName"), tag.get("ServiceCategory")
                if sid is not None and isinstance(sid.value, int):
                    self._names[sid.value] = (_text(name), _text(category))
        elif msg.name == "ServiceDetailRes":
            sid = body.get("ServiceID")
            plist = body.get("ServiceParameterList")
            if sid is None or not isinstance(sid.value, int) or plist is None:
                return
            for pset in plist.findall("ParameterSet"):
                params = _parameters(pset)
                port = next((v for k, v in params.items() if k.lower() == "port"), None)
                if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
                    continue
                set_id = pset.get("ParameterSetID")
                address = next((str(v) for k, v in params.items() if k.lower() in ("ip", "address")), None)
                found = Service(sid.value, port, frame, parameter_set_id=set_id.value if set_id is not None else None,
                                parameters=params, address=address)
                known = [s for s in self._by_port.get(port, []) if s.address != address]
                self._by_port[port] = [*known, found]

    def for_server(self, address: str, port: int) -> Service | None:
        """The service announced for a connection to ``[address]:port``, named when it was listed."""
        candidates = self._by_port.get(port)
        if not candidates:
            return None
        match = next((s for s in reversed(candidates) if s.address is not None and _same_ip(s.address, address)),
                     None)
        if match is None:
            match = next((s for s in reversed(candidates) if s.address is None), None)
        if match is None:
            return None
        name, category = self._names.get(match.service_id, (None, None))
        return Service(match.service_id, match.port, match.frame, name, category, match.parameter_set_id,
                       match.parameters, match.address)


def app_record(item: AppData, service: Service | None, src: str, dst: str, base: dict[str, object]) -> Record:
    """The ``app`` record of bytes on a connection that carries no V2GTP."""
    fields: dict[str, Any] = {"length": len(item.data), "stream_offset": item.offset, "data_hex": item.data.hex()}
    if service is None:
        return Record(item.frame, item.time, "app", UNKNOWN_NAME, src, dst, fields, extra=base, data=item.data,
                      summary=f"{len(item.data)} bytes; no service announced this port")
    fields.update(service_id=service.service_id, service_name=service.name, service_category=service.category,
                  parameter_set_id=service.parameter_set_id, parameters=dict(service.parameters),
                  announced_frame=service.frame)
    return Record(item.frame, item.time, "app", service.title, src, dst, fields, extra=base, data=item.data,
                  summary=f"{len(item.data)} bytes of service {service.service_id} (announced in frame {service.frame})")


def _descendants(el: Element, name: str) -> list[Element]:
    out: list[Element] = []
    stack = list(el.children)
    while stack:
        child = stack.pop()
        if child.name == name:
            out.append(child)
        else:
            stack.extend(child.children)
    return out


def _parameters(pset: Element) -> dict[str, Any]:
    """A ParameterSet's parameters by name; physical and rational values as numbers."""
    out: dict[str, Any] = {}
    for param in pset.findall("Parameter"):
        name = param.attr("Name")
        if not isinstance(name, str) or not param.children:
            continue
        value = param.children[0]
        out[name] = value.physical if value.children else value.value
    return out


def _text(el: Element | None) -> str | None:
    return None if el is None or el.value is None else str(el.value)


def _same_ip(a: str, b: str) -> bool:
    import ipaddress  # a service announcement's address check: rare, and not worth every start-up's import

    try:
        return ipaddress.ip_address(a.split("%")[0]) == ipaddress.ip_address(b.split("%")[0])
    except ValueError:
        return a == b

"""The detail tree of the selected message: layers and fields, and for V2G the EXI element tree.

Nodes a user expanded stay expanded on the next message of the same kind (termshark keeps
``ExpandedPaths``): expansions are remembered per (kind, name) by node key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.binding import Binding
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from v2gsniff.sniffer.findings.model import Finding
from v2gsniff.sniffer.model import Record
from v2gsniff.sniffer.output.inert import inert_line

from ..render import DetailNode, detail_nodes

# What is open the first time a message of a kind is shown: its error, its own layer and the EXI body.
_OPEN_FIRST = ("error", "homeplug", "sdp", "icmpv6", "v2gtp", "exi", "fields")


def _open_first(key: str) -> bool:
    """Open by default: the top nodes above, and the EXI path down to the message itself."""
    if key in _OPEN_FIRST:
        return True
    parts = key.split("/")
    return parts[0] == "exi" and (len(parts) == 2 or (len(parts) <= 4 and parts[2:3] == ["Body"]))


@dataclass(frozen=True, slots=True)
class NodeInfo:
    key: str
    offset: int
    length: int
    generation: int
    bits: tuple[int, int] | None = None
    """EXI elements: the exact bits (absolute in the record's data); see ``DetailNode.bits``."""
    value_bits: tuple[int, int] | None = None


class DetailTree(Tree[NodeInfo]):
    DEFAULT_CSS = """
    DetailTree { scrollbar-gutter: stable; }
    """
    BINDINGS = [
        Binding("j", "cursor_down", "Next node", show=False),
        Binding("k", "cursor_up", "Previous node", show=False),
        Binding("l", "expand", "Expand node", show=False),
        Binding("h", "collapse", "Collapse node", show=False),
    ]

    class SpanSelected(Message):
        """Bytes ``offset .. offset+length`` of the shown record's data belong to the highlighted node
        (for an EXI element, exactly ``bits`` of them, and its value ``value_bits``)."""

        def __init__(self, offset: int, length: int, bits: tuple[int, int] | None = None,
                     value_bits: tuple[int, int] | None = None) -> None:
            super().__init__()
            self.offset = offset
            self.length = length
            self.bits = bits
            self.value_bits = value_bits

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("no message selected", id=id)
        self.show_root = False
        self.guide_depth = 3
        self.record: Record | None = None
        self._expanded: dict[tuple[str, str], set[str]] = {}
        self._generation = 0

    @property
    def kind_key(self) -> tuple[str, str]:
        r = self.record
        return (r.kind, r.name) if r is not None else ("", "")

    def show(self, record: Record | None, findings: Sequence[Finding] = ()) -> None:
        """Rebuild for ``record`` (with the findings its frame shows), reopening what was open for
        its kind and keeping the cursor's node."""
        previous = self.cursor_node.data.key if self.cursor_node is not None and self.cursor_node.data else None
        self.record = record
        self._generation += 1
        self.clear()
        if record is None:
            return
        opened = self._expanded.get(self.kind_key)
        first_time = opened is None
        if opened is None:
            opened = self._expanded[self.kind_key] = set()
        target: TreeNode[NodeInfo] | None = None
        for node in detail_nodes(record, findings):
            found = self._add(self.root, node, opened, first_time, previous)
            target = target or found
        self.root.expand()
        if target is not None:
            # New nodes learn their line only when the tree lays its lines out; ask for one line
            # so that happens now and the cursor lands on the node, not on line 0.
            self.get_node_at_line(0)
            self.move_cursor(target)
        else:
            self.cursor_line = 0

    def _add(self, parent: TreeNode[NodeInfo], node: DetailNode, opened: set[str], first_time: bool,
             previous: str | None) -> TreeNode[NodeInfo] | None:
        label = Text(inert_line(node.label), style="bold red" if node.error else "")
        info = NodeInfo(node.key, node.offset, node.length, self._generation, node.bits, node.value_bits)
        if node.children:
            child = parent.add(label, info)
            if node.key in opened or (first_time and _open_first(node.key)):
                opened.add(node.key)
                child.expand()
        else:
            child = parent.add_leaf(label, info)
        found = child if node.key == previous else None
        for sub in node.children:
            hit = self._add(child, sub, opened, first_time, previous)
            found = found or hit
        return found

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[NodeInfo]) -> None:
        data = event.node.data
        if data is not None and data.generation == self._generation:
            self._expanded.setdefault(self.kind_key, set()).add(data.key)

    def on_tree_node_collapsed(self, event: Tree.NodeCollapsed[NodeInfo]) -> None:
        data = event.node.data
        if data is not None and data.generation == self._generation:
            self._expanded.setdefault(self.kind_key, set()).discard(data.key)

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[NodeInfo]) -> None:
        data = event.node.data
        if data is not None:
            self.post_message(self.SpanSelected(data.offset, data.length, data.bits, data.value_bits))

    def action_expand(self) -> None:
        if self.cursor_node is not None:
            self.cursor_node.expand()

    def action_collapse(self) -> None:
        node = self.cursor_node
        if node is None:
            return
        if node.is_expanded:
            node.collapse()
        elif node.parent is not None and node.parent is not self.root:
            self.move_cursor(node.parent)

    def open_keys(self) -> set[str]:
        """Keys of the nodes expanded for the shown message's kind (for tests and the help)."""
        return set(self._expanded.get(self.kind_key, set()))

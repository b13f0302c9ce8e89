# Copyright 2026 The tophash Authors
# SPDX-License-Identifier: Apache-2.0
# GDB pretty-printers for tophash's containers. Programs that include a
# tophash header carry this script in their .debug_gdb_scripts section
# (include/tophash/detail/gdb_printers.hpp, generated from this file by
# scripts/embed_gdb_printers), so GDB loads it with the program once the
# program's directory is on the auto-load safe path. It can also be sourced:
#   (gdb) source <prefix>/share/tophash/gdb/tophash_printers.py
#
# `print m` shows the size, the head buckets, the resize in progress and the
# first elements (up to `set print elements`), each named by where it lives:
#   [b3.5 full 0x9c]      bucket 3, slot 5, tag 0x9c, current array
#   [old b1.0 full 0x51]  in the old array, bucket not yet evacuated
#   [b3+1.2 full 0x2e]    first overflow bucket of bucket 3's chain
# Reads the memory of a stopped program: run it while no thread is in the
# middle of a write, or the walk may see a half-written chain.

import gdb
import gdb.printing

# Slot tags (simd/tophash/simd/tag.hpp).
_TAG_NAMES = {0: "emptyRest", 1: "emptyOne", 2: "evacuatedX", 3: "evacuatedY",
              4: "evacuatedEmpty"}
_MIN_FULL = 5
# bucket_array::not_inherited (detail/bucket_array.hpp).
_NOT_INHERITED = -(2 ** 63)
# resize_kind::compact (detail/bucket_array.hpp).
_COMPACT = 1
_STRING = "std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >"

def _atomic(v):
    """The value held by a std::atomic (libstdc++ or libc++)."""
    for path in (("_M_b", "_M_p"), ("_M_i",), ("__a_", "__a_value")):
        x = v
        try:
            for f in path:
                x = x[f]
            return x
        except gdb.error:
            continue
    return v

def _tag_name(t):
    return "full 0x%02x" % t if t >= _MIN_FULL else _TAG_NAMES.get(t, "tag %d" % t)

class _Array:
    """One bucket array (detail::bucket_array) seen from the debugger."""

    def __init__(self, ptr):
        self.t = ptr.dereference()
        self.buckets = int(self.t["bucket_mask"]) + 1
        self.stripes = int(self.t["stripe_mask"]) + 1
        self.ctrls = self.t["ctrls"]
        self.slots = self.t["slots"]
        self.slot_type = self.slots.type.strip_typedefs().target().strip_typedefs()
        tags = self.ctrls.dereference()["tags"]
        lo, hi = tags.type.strip_typedefs().range()
        self.width = hi - lo + 1
        # An overflow node is its control block followed by its slots.
        align = getattr(self.slot_type, "alignof", 8)
        ctrl_size = self.ctrls.dereference().type.sizeof
        self.node_slots_offset = (ctrl_size + align - 1) // align * align

    def head_evacuated(self, i):
        return _TAG_NAMES.get(int(self.ctrls[i]["tags"][0]), "").startswith("evac")

    def stripe_sum(self, field="count"):
        stripes = self.t["stripes"]
        return sum(int(_atomic(stripes[i][field])) for i in range(self.stripes))

    def chain(self, i):
        """(overflow depth, control block, slot pointer) of bucket i's chain."""
        ctrl, slots, depth = self.ctrls[i], self.slots + i * self.width, 0
        while True:
            yield depth, ctrl, slots
            nxt = ctrl["overflow"]
            if int(nxt) == 0:
                return
            base = nxt.cast(gdb.lookup_type("char").pointer())
            ctrl = nxt.cast(self.ctrls.type).dereference()
            slots = (base + self.node_slots_offset).cast(self.slots.type)
            depth += 1

    def elements(self, prefix):
        for i in range(self.buckets):
            if self.head_evacuated(i):
                continue
            for depth, ctrl, slots in self.chain(i):
                for s in range(self.width):
                    t = int(ctrl["tags"][s])
                    if t < _MIN_FULL:
                        continue
                    where = "%d+%d" % (i, depth) if depth else "%d" % i
                    yield "[%sb%s.%d %s]" % (prefix, where, s, _tag_name(t)), slots[s]

class ContainerPrinter:
    """tophash::concurrent_{map,set,node_map,node_set}."""

    def __init__(self, kind, val):
        self.kind = kind
        self.val = val
        engine = val["table_"]
        root = _atomic(engine["resizer_"]["root_"])
        self.cur = _Array(root) if int(root) != 0 else None
        self.old = None
        if self.cur is not None:
            old = _atomic(self.cur.t["old"])
            if int(old) != 0:
                self.old = _Array(old)

    def _size(self):
        # As resizer::count_elements(): the current array's counts plus what
        # it inherited (read from the old array while resizing).
        n = self.cur.stripe_sum()
        inherited = int(_atomic(self.cur.t["inherited"]))
        if inherited == _NOT_INHERITED and self.old is not None:
            inherited = int(_atomic(self.old.t["inherited"])) + self.old.stripe_sum()
        elif inherited == _NOT_INHERITED:
            inherited = 0
        return max(n + inherited, 0)

    def _name(self):
        t = self.val.type.strip_typedefs()
        args = 2 if self.kind.endswith("map") else 1
        try:
            names = ", ".join(str(t.template_argument(i)) for i in range(args))
        except (gdb.error, RuntimeError):
            return "tophash::concurrent_" + self.kind
        names = names.replace(_STRING, "std::string")
        return "tophash::concurrent_%s<%s>" % (self.kind, names)

    def to_string(self):
        if self.cur is None:
            return "%s with 0 elements, no buckets" % self._name()
        size = self._size()
        slots = self.cur.buckets * self.cur.width
        s = "%s with %d elements, buckets %d x %d slots, load %.3f" % (
            self._name(), size, self.cur.buckets, self.cur.width, size / slots)
        if self.old is not None:
            done = self.old.stripe_sum("evacuated")
            how = "same-size" if int(self.cur.t["kind"]) == _COMPACT else "from %d buckets" % (
                self.old.buckets)
            s += ", resizing %s: %d of %d old buckets evacuated" % (how, done, self.old.buckets)
        return s

    def children(self):
        if self.cur is None:
            return
        node = self.cur.slot_type.code == gdb.TYPE_CODE_PTR
        arrays = ([(self.old, "old ")] if self.old is not None else []) + [(self.cur, "")]
        for array, prefix in arrays:
            for name, slot in array.elements(prefix):
                yield name, slot.dereference() if node else slot

def _build():
    pp = gdb.printing.RegexpCollectionPrettyPrinter("tophash")
    for kind in ("map", "set", "node_map", "node_set"):
        pp.add_printer("concurrent_" + kind, "^tophash::concurrent_%s<.*>$" % kind,
                       lambda val, kind=kind: ContainerPrinter(kind, val))
    return pp

gdb.printing.register_pretty_printer(gdb.current_objfile(), _build(), replace=True)

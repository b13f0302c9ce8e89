// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Linearizability of one key's history (Wing & Gong's search with Lowe's
// memoisation): is there a sequential order of the operations, consistent
// with real time (an operation that returned before another was invoked
// comes first), in which each returns what it returned concurrently?
//
// A map's operations on different keys commute, so a history of the whole
// map is linearizable iff each key's sub-history is (P-compositionality).
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace history {

enum class kind { insert, insert_or_assign, erase, find, visit_add, emplace_or_add, erase_if_even };

// One completed call. `arg`: the value inserted or the amount added.
// `ok`: the boolean it returned. `seen`: the value find returned or visit saw
// (nullopt: none). invoked/returned: stamps of one global counter taken just
// before the call and just after it returned.
struct op {
    kind what;
    std::uint64_t arg = 0;
    bool ok = false;
    std::optional<std::uint64_t> seen;
    std::uint64_t invoked = 0, returned = 0;
};

using state = std::optional<std::uint64_t>;  // the key's value, or absent

// Applies `o` to `s` sequentially; false if it would have returned otherwise.
inline bool apply_op(const op& o, state& s) {
    switch (o.what) {
        case kind::insert:
            if (o.ok != !s) return false;
            if (!s) s = o.arg;
            return true;
        case kind::insert_or_assign:
            if (o.ok != !s) return false;
            s = o.arg;
            return true;
        case kind::erase:
            if (o.ok != s.has_value()) return false;
            s.reset();
            return true;
        case kind::find:
            return o.seen == s;
        case kind::visit_add:
            if (o.ok != s.has_value() || o.seen != s) return false;
            if (s) *s += o.arg;
            return true;
        case kind::emplace_or_add:  // try_emplace_or_visit(k, add arg, arg)
            if (o.ok != !s) return false;
            if (!s) {
                s = o.arg;
            } else {
                if (o.seen != s) return false;
                *s += o.arg;
            }
            return true;
        case kind::erase_if_even:
            if (o.seen != s) return false;
            if (o.ok != (s && *s % 2 == 0)) return false;
            if (o.ok) s.reset();
            return true;
    }
    return false;
}

class checker {
  public:
    // ops of one key, any order; the key starts absent.
    bool linearizable(std::vector<op> ops) {
        std::sort(ops.begin(), ops.end(),
                  [](const op& a, const op& b) { return a.invoked < b.invoked; });
        ops_ = std::move(ops);
        done_.assign(ops_.size(), false);
        seen_.clear();
        return search(0, state{}, 0);
    }

  private:
    // lo: every op before it is linearized.
    bool search(std::size_t lo, state s, std::size_t count) {
        while (lo < ops_.size() && done_[lo])
            ++lo;
        if (count == ops_.size()) return true;
        if (!seen_.insert(memo_key(lo, s)).second) return false;
        // Candidates: pending ops invoked before every pending op returned.
        std::uint64_t first_return = UINT64_MAX;
        for (std::size_t i = lo; i < ops_.size() && ops_[i].invoked < first_return; ++i) {
            if (!done_[i]) first_return = std::min(first_return, ops_[i].returned);
        }
        for (std::size_t i = lo; i < ops_.size() && ops_[i].invoked < first_return; ++i) {
            if (done_[i]) continue;
            state next = s;
            if (!apply_op(ops_[i], next)) continue;
            done_[i] = true;
            if (search(lo, next, count + 1)) return true;
            done_[i] = false;
        }
        return false;
    }
    std::string memo_key(std::size_t lo, const state& s) const {
        std::string k = std::to_string(lo) + (s ? ":" + std::to_string(*s) : ":-");
        for (std::size_t i = lo; i < ops_.size(); ++i) {
            if (done_[i]) k += "," + std::to_string(i - lo);
        }
        return k;
    }

    std::vector<op> ops_;
    std::vector<bool> done_;
    std::unordered_set<std::string> seen_;
};

}  // namespace history

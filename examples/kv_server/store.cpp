// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
#include "store.hpp"

#include <charconv>

#include "resp.hpp"

namespace kv {

bool set_existing(entry& e, const set_args& a, std::int64_t now) {
    const bool was_live = live(e, now);
    if (a.condition == set_condition::if_absent && was_live) return false;
    if (a.condition == set_condition::if_present && !was_live) return false;
    e.value.assign(a.value.data(), a.value.size());  // reuses the string's capacity
    if (!a.keep_ttl || !was_live) e.expires = a.keep_ttl ? 0 : a.expires;
    return true;
}

incr_status incr_existing(entry& e, std::int64_t by, std::int64_t now, std::int64_t& result) {
    std::int64_t v = 0;
    if (live(e, now)) {
        if (!parse_int(e.value, v)) return incr_status::not_integer;
    } else {
        e.expires = 0;  // an expired key counts as absent: it starts from 0
    }
    if (__builtin_add_overflow(v, by, &result)) return incr_status::overflow;
    char buf[24];
    e.value.assign(decimal(result, buf));
    return incr_status::ok;
}

std::string_view decimal(std::int64_t v, char (&buf)[24]) {
    auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
    (void)ec;  // 20 digits and a sign fit
    return {buf, static_cast<std::size_t>(p - buf)};
}

}  // namespace kv

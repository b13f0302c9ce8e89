// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// Differential fuzzer: operation sequences decoded from the input run on
// tophash::concurrent_map and on std::unordered_map; hashers, equality, copies,
// moves and allocations throw at input-chosen points.
//
// Input: byte 0 picks the key/value kind, byte 1 the hash quality, then
// operations of 3 bytes each (opcode, key, argument).
//
// The rules checked after every operation:
// - it returns what the model says (inserted or not, found or not, value);
// - an operation that throws leaves the map exactly as it was (compared
//   element by element with the model);
// - erase, visit and lookups never throw for lack of memory (only the
//   injected hash/equality fault may escape them);
// - size(), for_each and find agree with the model at checkpoints.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory_resource>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tophash/concurrent_map.hpp"
#include "tophash/concurrent_node_map.hpp"

namespace {

// ---- fault injection
enum fault_kind : unsigned {
    hash_fault,
    eq_fault,
    copy_fault,
    alloc_fault,
    odd_alloc_fault,
    kinds
};
struct injected {};  // what hashers, equality and copies throw
struct faults {
    static inline long countdown[kinds] = {};
    static inline bool enabled = true;  // off while the fuzzer itself copies or compares
    static void check(fault_kind k) {
        if (enabled && countdown[k] > 0 && --countdown[k] == 0) {
            if (k == alloc_fault) throw std::bad_alloc();
            if (k == odd_alloc_fault) throw 42;
            throw injected{};
        }
    }
    static void disarm() {
        for (long& c : countdown)
            c = 0;
    }
};
struct quiet {  // the fuzzer's own copies and comparisons never throw
    quiet() { faults::enabled = false; }
    ~quiet() { faults::enabled = true; }
};

// ---- key and value types, each convertible from and to a small id
struct user_id {  // trivially copyable, no default constructor
    explicit user_id(std::uint64_t v) : id(v) {}
    std::uint64_t id;
};
struct point {  // trivially copyable, no default constructor
    point(std::uint64_t x_, std::uint64_t y_) : x(x_), y(y_) {}
    std::uint64_t x, y;
};
struct fragile {  // copies and moves may throw; its move is not noexcept
    std::uint64_t id;
    explicit fragile(std::uint64_t v) : id(v) {}
    fragile(const fragile& o) : id(o.id) { faults::check(copy_fault); }
    fragile(fragile&& o) : id(o.id) { faults::check(copy_fault); }  // NOLINT
    fragile& operator=(const fragile& o) {
        faults::check(copy_fault);
        id = o.id;
        return *this;
    }
    fragile& operator=(fragile&& o) {  // NOLINT
        faults::check(copy_fault);
        id = o.id;
        return *this;
    }
};
// string_view keys point into this pool, which outlives every map.
const std::vector<std::string>& pool() {
    static const std::vector<std::string> p = [] {
        std::vector<std::string> v;
        for (int i = 0; i < 256; ++i)
            v.push_back("key-" + std::to_string(i) +
                        std::string(static_cast<std::size_t>(i % 40), 'x'));
        return v;
    }();
    return p;
}

std::uint64_t id_of(std::uint64_t k) {
    return k;
}
// A string that is not one we made (a moved-from "") maps to an id no
// model entry has, so the comparison that follows reports it.
constexpr std::uint64_t not_ours = ~0ull - 1;
std::uint64_t id_of(const std::string& s) {  // "val-<id>"
    if (s.size() < 5) return not_ours;
    std::uint64_t id = 0;
    for (std::size_t i = 4; i < s.size(); ++i) {
        if (s[i] < '0' || s[i] > '9') return not_ours;
        id = id * 10 + static_cast<std::uint64_t>(s[i] - '0');
    }
    return id;
}
std::uint64_t id_of(std::string_view s) {  // "key-<id>xxx..."
    std::uint64_t id = 0;
    for (std::size_t i = 4; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i)
        id = id * 10 + static_cast<std::uint64_t>(s[i] - '0');
    return id;
}
std::uint64_t id_of(const user_id& u) {
    return u.id;
}
std::uint64_t id_of(const fragile& f) {
    return f.id;
}
std::uint64_t id_of(const point& p) {
    return p.x;
}

template <class T>
T make(std::uint64_t id);
template <>
std::uint64_t make(std::uint64_t id) {
    return id;
}
template <>
std::string make(std::uint64_t id) {
    return "val-" + std::to_string(id);
}
template <>
std::string_view make(std::uint64_t id) {
    return pool()[id % 256];
}
template <>
user_id make(std::uint64_t id) {
    return user_id(id);
}
template <>
fragile make(std::uint64_t id) {
    return fragile(id);
}
template <>
point make(std::uint64_t id) {
    return point(id, ~id);
}

std::uint64_t value_id(std::uint64_t v) {
    return v;
}
std::uint64_t value_id(const std::string& s) {
    return id_of(s);
}
std::uint64_t value_id(const fragile& f) {
    return f.id;
}
std::uint64_t value_id(const point& p) {
    return p.x;
}

// Hash quality: 0 good, 1 clumps of 8 keys (chains overflow), 2 constant.
struct hash_mode {
    static inline unsigned quality = 0;
};
struct fuzz_hash {
    template <class K>
    std::size_t operator()(const K& k) const {
        faults::check(hash_fault);
        const std::uint64_t id = id_of(k);
        switch (hash_mode::quality) {
            case 0:
                return std::hash<std::uint64_t>()(id);
            case 1:
                return std::hash<std::uint64_t>()(id / 8);
            default:
                return 42;
        }
    }
};
struct fuzz_eq {
    template <class K>
    bool operator()(const K& a, const K& b) const {
        faults::check(eq_fault);
        return id_of(a) == id_of(b);
    }
};
template <class T>
struct fuzz_alloc {
    using value_type = T;
    fuzz_alloc() = default;
    template <class U>
    fuzz_alloc(const fuzz_alloc<U>&) noexcept {}
    T* allocate(std::size_t n) {
        faults::check(alloc_fault);
        faults::check(odd_alloc_fault);
        return std::allocator<T>().allocate(n);
    }
    void deallocate(T* p, std::size_t n) noexcept { std::allocator<T>().deallocate(p, n); }
    template <class U>
    bool operator==(const fuzz_alloc<U>&) const noexcept {
        return true;
    }
    template <class U>
    bool operator!=(const fuzz_alloc<U>&) const noexcept {
        return false;
    }
};

[[noreturn]] void fail(const char* what, std::size_t op) {
    std::fprintf(stderr, "fuzz_map: %s (operation %zu)\n", what, op);
    std::abort();
}

template <class K, class V>
class harness {
  public:
    using map =
        tophash::concurrent_map<K, V, fuzz_hash, fuzz_eq, fuzz_alloc<std::pair<const K, V>>>;
    using model = std::unordered_map<std::uint64_t, std::uint64_t>;

    void run(const std::uint8_t* p, std::size_t n) {
        // An armed fault applies to the next operation, then is cleared.
        for (std::size_t i = 0; i + 3 <= n; i += 3) {
            if (!step(p[i], p[i + 1], p[i + 2], i / 3)) faults::disarm();
        }
        faults::disarm();
        check_all(n / 3);
        finish_resize(n / 3);
    }

  private:
    // Runs op; on an exception checks that nothing changed and, unless
    // `may_fail_alloc`, that the exception was not an allocation failure.
    template <class Op>
    void guarded(std::size_t at, bool may_fail_alloc, Op op) {
        try {
            op();
        } catch (const injected&) {
            check_all(at);
        } catch (const std::bad_alloc&) {
            if (!may_fail_alloc) fail("a non-inserting operation failed to allocate", at);
            check_all(at);
        } catch (int) {
            if (!may_fail_alloc) fail("a non-inserting operation failed to allocate", at);
            check_all(at);
        }
    }

    // Returns true if the operation armed a fault for the next one.
    bool step(std::uint8_t op, std::uint8_t key, std::uint8_t arg, std::size_t at) {
        const std::uint64_t k = key % 64;  // small key space: hits, misses, reuse
        const std::uint64_t v = arg;
        switch (op % 16) {
            case 0:
            case 1:
                guarded(at, true, [&] {
                    const bool did = m_.emplace(make<K>(k), make<V>(v));
                    if (did != (ref_.count(k) == 0)) fail("insert result", at);
                    ref_.emplace(k, v);
                });
                break;
            case 2:
                guarded(at, true, [&] {
                    const bool did = m_.insert_or_assign(make<K>(k), make<V>(v));
                    if (did != (ref_.count(k) == 0)) fail("insert_or_assign result", at);
                    ref_[k] = v;
                });
                break;
            case 3:
                guarded(at, true, [&] {
                    std::uint64_t seen = ~0ull;
                    const bool did = m_.try_emplace_or_visit(make<K>(k), make<V>(v), [&](auto& e) {
                        V& x = e.second;
                        seen = value_id(x);
                    });
                    if (did != (ref_.count(k) == 0)) fail("try_emplace_or_visit result", at);
                    if (!did && seen != ref_[k]) fail("try_emplace_or_visit visited value", at);
                    ref_.emplace(k, v);
                });
                break;
            case 4:
            case 5:
                guarded(at, false, [&] {
                    const bool did = m_.erase(make<K>(k));
                    if (did != (ref_.erase(k) == 1)) fail("erase result", at);
                });
                break;
            case 6:
                guarded(at, false, [&] {
                    // Erase when the value is even; otherwise the predicate saw it.
                    std::uint64_t seen = ~0ull;
                    const bool did = m_.erase_if(make<K>(k), [&](auto& e) {
                        V& x = e.second;
                        seen = value_id(x);
                        return seen % 2 == 0;
                    });
                    const auto it = ref_.find(k);
                    const bool expect = it != ref_.end() && it->second % 2 == 0;
                    if (did != expect) fail("erase_if(key) result", at);
                    if (it != ref_.end() && seen != it->second) fail("erase_if(key) saw", at);
                    if (expect) ref_.erase(it);
                });
                break;
            case 7:
                guarded(at, false, [&] {
                    const bool did = m_.visit(make<K>(k), [&](auto& e) {
                        V& x = e.second;
                        quiet q;
                        x = make<V>(value_id(x) + 1);
                    });
                    const auto it = ref_.find(k);
                    if (did != (it != ref_.end())) fail("visit result", at);
                    if (did) ++it->second;
                });
                break;
            case 8:
            case 9:
                guarded(at, false, [&] {
                    const auto got = m_.find(make<K>(k));
                    const auto it = ref_.find(k);
                    if (got.has_value() != (it != ref_.end())) fail("find result", at);
                    if (got && value_id(*got) != it->second) fail("find value", at);
                });
                break;
            case 10:
                guarded(at, false, [&] {
                    if (m_.contains(make<K>(k)) != (ref_.count(k) == 1)) fail("contains", at);
                    std::uint64_t seen = ~0ull;
                    const bool did = m_.cvisit(make<K>(k), [&](const auto& e) {
                        const V& x = e.second;
                        seen = value_id(x);
                    });
                    if (did != (ref_.count(k) == 1) || (did && seen != ref_[k])) fail("cvisit", at);
                    // Bulk lookup of up to 100 keys (batches of bulk_visit_size
                    // and a partial one), present and absent, repeats allowed.
                    std::vector<K> keys;
                    std::size_t expect = 0;
                    for (std::uint64_t i = 0; i < arg % 101; ++i) {
                        const std::uint64_t q = (k + i * 7) % 64;
                        keys.push_back(make<K>(q));
                        expect += ref_.count(q);
                    }
                    std::size_t calls = 0;
                    const auto hits = m_.cvisit(keys.begin(), keys.end(), [&](const auto& e) {
                        ++calls;
                        const auto it = ref_.find(id_of(e.first));
                        if (it == ref_.end() || it->second != value_id(e.second)) {
                            fail("bulk cvisit visited a wrong element", at);
                        }
                    });
                    if (hits != expect || calls != expect) fail("bulk cvisit count", at);
                });
                break;
            case 11: {
                // Whole-map erase_if; the predicate also updates what it keeps.
                const std::uint64_t mod = 2 + arg % 5;
                std::size_t expect = 0;
                const auto before = ref_;
                for (auto it = ref_.begin(); it != ref_.end();) {
                    if (it->first % mod == 0) {
                        it = ref_.erase(it);
                        ++expect;
                    } else {
                        it->second += 1;
                        ++it;
                    }
                }
                std::size_t got = 0;
                try {
                    got = m_.erase_if([&](auto& e) {
                        const K& key_ = e.first;
                        V& x = e.second;
                        quiet q;
                        if (id_of(key_) % mod == 0) return true;
                        x = make<V>(value_id(x) + 1);
                        return false;
                    });
                } catch (const injected&) {
                    // Only a walk overlapping a shrink hashes (to tell merged
                    // chains apart), and a hasher that throws stops it: each
                    // element is then as before or as the predicate left it.
                    quiet q;
                    ref_.clear();
                    for (const auto& [key, value] : before) {
                        const auto now = m_.find(make<K>(key));
                        if (!now) {
                            if (key % mod != 0) fail("interrupted erase_if erased a kept key", at);
                        } else if (value_id(*now) != value &&
                                   (key % mod == 0 || value_id(*now) != value + 1)) {
                            fail("interrupted erase_if left a wrong value", at);
                        } else {
                            ref_.emplace(key, value_id(*now));
                        }
                    }
                    check_all(at);
                    break;
                }
                if (got != expect) fail("erase_if(pred) count", at);
                break;
            }
            case 12: {
                if (arg % 4 == 1 || (arg % 4 == 3 && arg != 255)) {
                    // Shrinking (merges old chains into shared ones), with
                    // any fault armed: it completes or leaves all in place.
                    try {
                        if (arg % 4 == 1) {
                            m_.shrink_to_fit();
                            if (m_.max_load() >= 2 * ref_.size() + 16)
                                fail("shrink_to_fit left too much room", at);
                        } else {
                            m_.rehash(arg);
                        }
                    } catch (const injected&) {
                    } catch (const std::bad_alloc&) {
                    } catch (int) {
                    }
                    check_all(at);
                    break;
                }
                // reserve: any size, including impossible ones.
                const std::size_t want = arg == 255   ? std::numeric_limits<std::size_t>::max()
                                         : arg == 254 ? std::size_t{1} << 60
                                                      : std::size_t{arg} * 4;
                try {
                    const std::size_t before = m_.bucket_count();
                    m_.reserve(want);
                    if (want > 255 * 4) fail("reserve beyond max_size() returned", at);
                    (void)before;
                } catch (const std::length_error&) {
                    if (want <= m_.max_size()) fail("reserve threw length_error", at);
                } catch (const injected&) {
                } catch (const std::bad_alloc&) {
                } catch (int) {
                }
                check_all(at);
                break;
            }
            case 13:
                if (arg % 8 == 0) {
                    m_.clear();
                    ref_.clear();
                } else {
                    check_all(at);
                }
                break;
            default:
                // Arm a fault: the countdown-th hash, comparison, copy or allocation throws.
                faults::countdown[arg % kinds] = 1 + key % 32;
                return true;
        }
        return false;
    }

    // A resize under way finishes after at most as many writes as the old
    // array has buckets (plus one per failed evacuation; faults are off
    // now), whatever keys they write: one key, inserted and erased.
    void finish_resize(std::size_t at) {
        quiet q;
        const auto st = m_.stats();
        if (!st.resizing) return;
        const K probe = make<K>(1000);  // outside the fuzzed key space
        for (std::size_t i = 0; i <= st.old_head_buckets; ++i) {
            m_.emplace(probe, make<V>(0));
            m_.erase(probe);
        }
        if (m_.stats().resizing) fail("a resize does not finish", at);
        check_all(at);
    }

    void check_all(std::size_t at) {
        quiet q;
        if (m_.size() != ref_.size()) fail("size() differs from the model", at);
        std::size_t visited = 0;
        m_.for_each([&](const auto& e) {
            const K& k = e.first;
            const V& v = e.second;
            const auto it = ref_.find(id_of(k));
            if (it == ref_.end()) fail("for_each visited a key the model lacks", at);
            if (it->second != value_id(v)) fail("for_each value differs", at);
            ++visited;
        });
        if (visited != ref_.size()) fail("for_each missed elements", at);
        for (const auto& [k, v] : ref_) {
            const auto got = m_.find(make<K>(k));
            if (!got || value_id(*got) != v) fail("find after check differs", at);
        }
    }

    map m_;
    model ref_;
};

// Node containers with a std::pmr allocator, two of them: node handles
// (extract, insert(node_type&&) in its forms), merge both ways, swap and
// assignment, against two models. Every element's strings must come from
// the containers' resource.
class node_harness {
  public:
    using alloc = std::pmr::polymorphic_allocator<std::pair<const std::uint64_t, std::pmr::string>>;
    using map =
        tophash::concurrent_node_map<std::uint64_t, std::pmr::string, fuzz_hash, fuzz_eq, alloc>;
    using model = std::unordered_map<std::uint64_t, std::string>;

    node_harness() : a_(0, alloc(&pool_)), b_(0, alloc(&pool_)) {}

    void run(const std::uint8_t* p, std::size_t n) {
        for (std::size_t i = 0; i + 3 <= n; i += 3)
            step(p[i], p[i + 1], p[i + 2], i / 3);
        check(n / 3);
    }

  private:
    static std::string text(std::uint64_t v) {
        return std::to_string(v) + std::string(v % 3 == 0 ? 40 : 2, 'v');  // past SSO at times
    }
    void step(std::uint8_t op, std::uint8_t key, std::uint8_t arg, std::size_t at) {
        const std::uint64_t k = key % 64;
        const bool on_a = arg & 1;
        map& m = on_a ? a_ : b_;
        model& r = on_a ? ra_ : rb_;
        map& o = on_a ? b_ : a_;
        model& ro = on_a ? rb_ : ra_;
        switch (op % 10) {
            case 0:
            case 1: {
                const bool in = m.try_emplace(k, text(arg));
                if (in != r.emplace(k, text(arg)).second) fail("node try_emplace differs", at);
                break;
            }
            case 2:
                if (m.erase(k) != r.erase(k)) fail("node erase differs", at);
                break;
            case 3: {  // extract from m, insert into o
                auto nh = m.extract(k);
                const auto it = r.find(k);
                if (nh.empty() != (it == r.end())) fail("extract differs", at);
                if (nh.empty()) break;
                if (std::string_view(nh.mapped()) != it->second)
                    fail("extracted value differs", at);
                std::string v = it->second;
                r.erase(it);
                auto res = (arg & 2) ? o.insert(std::move(nh))
                                     : o.insert_or_visit(std::move(nh), [](auto&) {});
                const bool in = ro.emplace(k, v).second;
                if (res.inserted != in) fail("insert(node) differs", at);
                if (!in && (res.node.empty() || res.node.key() != k))
                    fail("a rejected node was not returned", at);
                break;
            }
            case 4: {  // extract_if and drop the node
                auto nh = m.extract_if(k, [&](const auto& v) { return v.second.size() > 10; });
                const auto it = r.find(k);
                const bool want = it != r.end() && it->second.size() > 10;
                if (nh.empty() == want) fail("extract_if differs", at);
                if (want) r.erase(it);
                break;
            }
            case 5: {
                const std::size_t moved = m.merge(o);
                std::size_t want = 0;
                for (auto it = ro.begin(); it != ro.end();) {
                    if (r.emplace(it->first, it->second).second) {
                        it = ro.erase(it);
                        ++want;
                    } else {
                        ++it;
                    }
                }
                if (moved != want) fail("merge count differs", at);
                break;
            }
            case 6:
                a_.swap(b_);
                std::swap(ra_, rb_);
                break;
            case 7:
                if (arg & 2) {
                    m = o;
                    r = ro;
                } else {
                    m = std::move(o);
                    r = std::move(ro);
                    ro.clear();
                }
                break;
            case 8: {
                const auto got = m.find(k);
                const auto it = r.find(k);
                if (got.has_value() != (it != r.end())) fail("node find differs", at);
                if (got && std::string_view(*got) != it->second)
                    fail("node find value differs", at);
                break;
            }
            default:
                check(at);
                break;
        }
    }
    void check(std::size_t at) {
        for (const auto& mr : {std::pair<map*, model*>{&a_, &ra_}, {&b_, &rb_}}) {
            map* m = mr.first;
            model* r = mr.second;
            if (m->size() != r->size()) fail("node size differs", at);
            m->cvisit_all([&](const auto& e) {
                const auto it = r->find(e.first);
                if (it == r->end() || it->second != std::string_view(e.second))
                    fail("node element differs", at);
                if (e.second.get_allocator().resource() != &pool_)
                    fail("an element's string is not from the container's resource", at);
            });
        }
    }

    std::pmr::unsynchronized_pool_resource pool_;
    map a_, b_;
    model ra_, rb_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    faults::disarm();
    hash_mode::quality = data[1] % 3;
    const std::uint8_t* ops = data + 2;
    const std::size_t n = size - 2;
    switch (data[0] % 7) {
        case 0:
            harness<std::uint64_t, std::uint64_t>().run(ops, n);
            break;
        case 1:
            harness<std::string, std::string>().run(ops, n);
            break;
        case 2:
            harness<std::uint64_t, fragile>().run(ops, n);
            break;
        case 3:
            harness<fragile, std::string>().run(ops, n);
            break;
        case 4:
            harness<std::string_view, point>().run(ops, n);
            break;
        case 5:
            harness<user_id, std::uint64_t>().run(ops, n);
            break;
        default:
            node_harness().run(ops, n);
            break;
    }
    faults::disarm();
    return 0;
}

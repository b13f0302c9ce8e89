// A bucket: 16 tags matched by one group load, a link to the next bucket of
// its chain, and 16 slots.
#pragma once

#include <cstddef>
#include <utility>

#include "tophash/simd/group.hpp"
#include "tophash/simd/tag.hpp"

namespace tophash::detail {

// Key and value side by side: a successful lookup touches the tags' line and
// one slot line; separate key and value arrays would touch three (see
// docs/design.md).
template <class Key, class T>
struct slot {
    template <class K, class... Args>
    explicit slot(K&& k, Args&&... args)
        : first(std::forward<K>(k)), second(std::forward<Args>(args)...) {}
    Key first;
    T second;
};

template <class Slot>
struct bucket {
    static constexpr unsigned width = simd::group::width;

    // Tags first so that a lookup's group load starts at the bucket's
    // address; an all-zero bucket is empty (empty_rest tags, no overflow).
    simd::tag_t tags[width];
    bucket* overflow;  // next bucket of the chain; accessed atomically
    alignas(Slot) unsigned char storage[width * sizeof(Slot)];

    Slot* slot_at(unsigned i) noexcept { return reinterpret_cast<Slot*>(storage) + i; }
    const Slot* slot_at(unsigned i) const noexcept {
        return reinterpret_cast<const Slot*>(storage) + i;
    }

    simd::group match_group() const noexcept { return simd::group(tags); }

    // Tags and links are written with atomic stores because optimistic
    // readers read them while a writer holds the stripe.
    simd::tag_t tag(unsigned i) const noexcept { return __atomic_load_n(&tags[i], __ATOMIC_RELAXED); }
    void set_tag(unsigned i, simd::tag_t t) noexcept {
        __atomic_store_n(&tags[i], t, __ATOMIC_RELAXED);
    }
    bucket* next() const noexcept { return __atomic_load_n(&overflow, __ATOMIC_ACQUIRE); }
    void set_next(bucket* b) noexcept { __atomic_store_n(&overflow, b, __ATOMIC_RELEASE); }

    // Evacuation marks every slot of a chain and writes the head's slot 0
    // last, with release order: once this reads true, the entries are in the
    // new array.
    bool evacuated() const noexcept {
        return simd::is_evacuated(__atomic_load_n(&tags[0], __ATOMIC_ACQUIRE));
    }

    // Back to the all-zero state (for reuse from a free list).
    void reset() noexcept {
        for (unsigned i = 0; i < width; ++i) set_tag(i, simd::empty_rest);
        set_next(nullptr);
    }
};

}  // namespace tophash::detail

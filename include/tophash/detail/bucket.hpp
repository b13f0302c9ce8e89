// Copyright 2026 The tophash Authors
// SPDX-License-Identifier: Apache-2.0
// A bucket: 16 tags matched by one group load, a link to the next bucket of
// its chain, and 16 slots.
//
// Layout (measured, see docs/design.md): the tags and links of the head
// buckets form one dense control array, 32 bytes per bucket, apart from the
// slots, as Abseil's control bytes and Boost's group metadata are. At 2^20
// elements that array is 4 MiB and stays in cache, so a lookup pays one DRAM
// miss (the slot) instead of two (tags, then slot) when tags and slots were
// interleaved in 288-byte buckets. Overflow buckets are separate nodes that
// hold their control block and slots together.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

#include "tophash/concurrency/platform.hpp"
#include "tophash/concurrency/seqcount.hpp"
#include "tophash/simd/group.hpp"
#include "tophash/simd/tag.hpp"

namespace tophash::detail {

inline constexpr unsigned bucket_width = simd::group::width;

// Control block of one bucket. 16-byte aligned (what malloc guarantees) so
// that the 16 tags never straddle a cache line; an all-zero block is an
// empty bucket (emptyRest tags, no overflow), which is what lets a calloc'ed
// array be used at once.
struct alignas(16) bucket_ctrl {
    simd::tag_t tags[bucket_width];
    void* overflow;         // the next bucket's node, or null; accessed atomically
    std::uint64_t version;  // of a head bucket: odd while its chain is being written
};
static_assert(sizeof(bucket_ctrl) == 32, "two control blocks per cache line");
static_assert(alignof(bucket_ctrl) == 16, "tags at a 16-byte boundary never straddle a line");

// An overflow bucket: its control block followed by its slots.
template <class Slot>
struct overflow_node {
    bucket_ctrl ctrl;
    alignas(Slot) unsigned char storage[bucket_width * sizeof(Slot)];
};

// A handle to one bucket of a chain: a head bucket (control block in the
// table's control array, slots in its slot array) or an overflow node. It
// behaves like a pointer (`b->tag(i)`, `b != nullptr`) so chain walks read
// the same for both kinds.
template <class Slot>
class bucket_ref {
  public:
    using node = overflow_node<Slot>;
    static constexpr unsigned width = bucket_width;

    bucket_ref() = default;
    bucket_ref(std::nullptr_t) noexcept {}  // NOLINT: pointer-like
    bucket_ref(bucket_ctrl* c, Slot* s) noexcept : c_(c), s_(s) {}
    explicit bucket_ref(node* n) noexcept
        : c_(n != nullptr ? &n->ctrl : nullptr),
          s_(n != nullptr ? reinterpret_cast<Slot*>(n->storage) : nullptr) {}

    bucket_ref* operator->() noexcept { return this; }
    const bucket_ref* operator->() const noexcept { return this; }
    friend bool operator==(bucket_ref a, bucket_ref b) noexcept { return a.c_ == b.c_; }
    friend bool operator!=(bucket_ref a, bucket_ref b) noexcept { return a.c_ != b.c_; }

    bucket_ctrl* ctrl() const noexcept { return c_; }
    // The node of an overflow bucket (its control block is the first member).
    node* as_node() const noexcept { return reinterpret_cast<node*>(c_); }

    Slot* slot_at(unsigned i) const noexcept { return s_ + i; }
    TOPHASH_ALWAYS_INLINE simd::group match_group() const noexcept { return simd::group(c_->tags); }

    // Tags and links are written with atomic stores because optimistic
    // readers read them while a writer holds the stripe.
    TOPHASH_ALWAYS_INLINE simd::tag_t tag(unsigned i) const noexcept {
        return __atomic_load_n(&c_->tags[i], __ATOMIC_RELAXED);
    }
    void set_tag(unsigned i, simd::tag_t t) const noexcept {
        __atomic_store_n(&c_->tags[i], t, __ATOMIC_RELAXED);
    }
    // All tags at once, in 8-byte relaxed stores (each tag still changes
    // atomically for readers). TSan checks each byte as its own atomic.
    void set_tags(const simd::tag_t* t) const noexcept {
        static_assert(width % 8 == 0, "whole words of tags");
#if defined(TOPHASH_TSAN)
        for (unsigned i = 0; i < width; ++i)
            set_tag(i, t[i]);
#else
        for (unsigned w = 0; w < width; w += 8) {
            std::uint64_t word;
            std::memcpy(&word, t + w, 8);
            __atomic_store_n(reinterpret_cast<std::uint64_t*>(c_->tags + w), word,
                             __ATOMIC_RELAXED);
        }
#endif
    }
    TOPHASH_ALWAYS_INLINE bucket_ref next() const noexcept {
        return bucket_ref(static_cast<node*>(__atomic_load_n(&c_->overflow, __ATOMIC_ACQUIRE)));
    }
    void set_next(bucket_ref b) const noexcept {
        __atomic_store_n(&c_->overflow, static_cast<void*>(b.as_node()), __ATOMIC_RELEASE);
    }

    // Evacuation marks every slot of a chain and writes the head's slot 0
    // last, with release order: once this reads true, the entries are in the
    // new array.
    TOPHASH_ALWAYS_INLINE bool evacuated() const noexcept {
        return simd::is_evacuated(__atomic_load_n(&c_->tags[0], __ATOMIC_ACQUIRE));
    }
    void mark_evacuated_head(simd::tag_t mark) const noexcept {
        __atomic_store_n(&c_->tags[0], mark, __ATOMIC_RELEASE);
    }

    // Version of a head bucket's chain, on the same cache line as its tags:
    // an optimistic lookup validates against it without touching another
    // line. Every change to the chain (slots, tags, links) happens between
    // begin_write and end_write, under the stripe's exclusive lock.
    TOPHASH_ALWAYS_INLINE std::uint64_t read_begin() const noexcept {
        return concurrency::seqcount::read_begin(&c_->version);
    }
    TOPHASH_ALWAYS_INLINE std::uint64_t read_peek() const noexcept {
        return concurrency::seqcount::read_peek(&c_->version);
    }
    TOPHASH_ALWAYS_INLINE bool read_validate(std::uint64_t v) const noexcept {
        return concurrency::seqcount::read_validate(&c_->version, v);
    }
    TOPHASH_ALWAYS_INLINE void begin_write() const noexcept {
        concurrency::seqcount::write_begin(&c_->version);
    }
    TOPHASH_ALWAYS_INLINE void end_write() const noexcept {
        concurrency::seqcount::write_end(&c_->version);
    }

    // Back to empty tags and no link. The version is left alone: clear()
    // resets head buckets inside their write section, and readers must see
    // the count move forward, never back.
    void reset() const noexcept {
        for (unsigned i = 0; i < width; ++i)
            set_tag(i, simd::empty_rest);
        __atomic_store_n(&c_->overflow, nullptr, __ATOMIC_RELEASE);
    }

  private:
    bucket_ctrl* c_ = nullptr;
    Slot* s_ = nullptr;
};

}  // namespace tophash::detail

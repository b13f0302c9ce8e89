#include "tophash/detail/page_memory.hpp"

#include <cstdlib>
#include <new>

#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#define TOPHASH_HAVE_MMAP 1
#endif

namespace tophash::detail {

void* allocate_pages(std::size_t bytes) {
#if TOPHASH_HAVE_MMAP
    void* p = ::mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    return p;
#else
    void* p = std::calloc(bytes, 1);
    if (p == nullptr) throw std::bad_alloc();
    return p;
#endif
}

void deallocate_pages(void* p, std::size_t bytes) noexcept {
#if TOPHASH_HAVE_MMAP
    ::munmap(p, bytes);
#else
    (void)bytes;
    std::free(p);
#endif
}

}  // namespace tophash::detail

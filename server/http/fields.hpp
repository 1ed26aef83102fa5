#pragma once

// The header fields of every request a worker proxies and of turnout's own
// responses (an upstream's response head is a ResponseHead). Beast's
// basic_fields allocates each field (its node, name and value in one block)
// on insert and frees it with the message: a proxied GET made twelve such
// allocations and frees, about 1,700 instructions of the 21,000 a request
// cost in malloc and free alone (issue 16, callgrind). FieldAllocator takes
// those blocks from free lists per size class instead, a pop and a push each.

#include <boost/beast/http/fields.hpp>

#include <array>
#include <cstddef>
#include <new>

namespace turnout::server {

namespace field_blocks {

// Under AddressSanitizer every block is the heap's, so that a field used
// after its message freed it is still reported. (GCC says so with
// __SANITIZE_ADDRESS__, clang, which builds the fuzz targets, with
// __has_feature.)
#if defined(__SANITIZE_ADDRESS__)
constexpr bool pooling = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
constexpr bool pooling = false;
#else
constexpr bool pooling = true;
#endif
#else
constexpr bool pooling = true;
#endif

namespace detail {

// Blocks up to 512 bytes in 32-byte steps; a field is usually 80–200 bytes
// (Beast's node of ~60 bytes, then name and value). Larger ones, rare, go
// to operator new.
constexpr std::size_t step = 32;
constexpr std::size_t classes = 16;
// What a list keeps at most, so that a burst of large heads does not hold
// memory for good: 256 blocks per class is under 1.1 MB across all classes
// (far less in practice: fields cluster in two or three classes).
constexpr std::size_t kept_per_class = 256;

struct FreeBlock {
    FreeBlock* next;
};

struct FreeList {
    FreeBlock* first;
    std::size_t count;
};

// Per thread, since a worker's event loop is one thread: no lock. Trivially
// destructible, so reaching it costs no guard; the blocks are freed at the
// thread's exit by what the first kept block registers (fields.cpp).
struct FreeLists {
    std::array<FreeList, classes> lists;
    bool freed_at_exit;
};

inline thread_local FreeLists free_lists{};

void free_at_exit();

inline bool pools(std::size_t bytes) {
    return pooling && bytes != 0 && bytes <= step * classes;
}

}  // namespace detail

// A block of at least `bytes`, aligned as operator new's.
inline void* take(std::size_t bytes) {
    using namespace detail;
    if (!pools(bytes)) {
        return ::operator new(bytes);
    }
    const std::size_t size_class = (bytes - 1) / step;
    FreeList& list = free_lists.lists[size_class];
    if (FreeBlock* block = list.first) {
        list.first = block->next;
        --list.count;
        return block;
    }
    return ::operator new((size_class + 1) * step);
}

// Returns a block from take(bytes), with the same `bytes`.
inline void give_back(void* block, std::size_t bytes) noexcept {
    using namespace detail;
    if (!pools(bytes)) {
        ::operator delete(block);
        return;
    }
    FreeList& list = free_lists.lists[(bytes - 1) / step];
    if (list.count == kept_per_class) {
        ::operator delete(block);
        return;
    }
    if (!free_lists.freed_at_exit) {
        free_at_exit();
    }
    list.first = new (block) FreeBlock{list.first};
    ++list.count;
}

}  // namespace field_blocks

// Stateless: every FieldAllocator shares the calling thread's free lists,
// so a block may be freed by any message of the thread that took it.
template <typename T>
struct FieldAllocator {
    using value_type = T;

    FieldAllocator() = default;
    template <typename U>
    FieldAllocator(const FieldAllocator<U>&) noexcept {}  // NOLINT: rebinding converts implicitly

    T* allocate(std::size_t n) {
        if (n > static_cast<std::size_t>(-1) / sizeof(T)) {
            throw std::bad_array_new_length();
        }
        return static_cast<T*>(field_blocks::take(n * sizeof(T)));
    }
    void deallocate(T* block, std::size_t n) noexcept {
        field_blocks::give_back(block, n * sizeof(T));
    }

    template <typename U>
    bool operator==(const FieldAllocator<U>&) const noexcept {
        return true;
    }
};

using Fields = boost::beast::http::basic_fields<FieldAllocator<char>>;

}  // namespace turnout::server

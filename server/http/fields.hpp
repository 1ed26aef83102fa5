#pragma once

// The header fields of every message a worker proxies. Beast's basic_fields
// allocates each field (its node, name and value in one block) on insert
// and frees it with the message: a proxied GET made twelve such allocations
// and frees, about 1,700 instructions of the 21,000 a request cost in
// malloc and free alone (issue 16, callgrind). FieldAllocator takes those
// blocks from free lists per size class instead, a pop and a push each.

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>

#include <cstddef>
#include <new>

namespace turnout::server {

namespace field_blocks {

// Under AddressSanitizer every block is the heap's, so that a field used
// after its message freed it is still reported.
#if defined(__SANITIZE_ADDRESS__)
constexpr bool pooling = false;
#else
constexpr bool pooling = true;
#endif

// A block of at least `bytes`, aligned as operator new's.
void* take(std::size_t bytes);
// Returns a block from take(bytes), with the same `bytes`.
void give_back(void* block, std::size_t bytes) noexcept;

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
using RequestHeader = boost::beast::http::request_header<Fields>;
using ResponseHeader = boost::beast::http::response_header<Fields>;

}  // namespace turnout::server

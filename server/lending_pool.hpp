#pragma once

// Objects a worker lends to its connections only while a request is in
// flight (buffers, parsers), so an idle keep-alive connection holds none.
// One pool per kind per worker (single-threaded: no lock).
//
// While anything is lent it keeps every returned object: under a steady
// load above max_free in flight (HTTP/2 runs up to 128 streams per
// connection) freeing the surplus would cost a malloc and a free of 64 KiB
// per request, and glibc consolidates its heap on each such free. Once
// nothing is lent it keeps at most `max_free` and frees the rest, so a
// burst of concurrent requests does not pin its memory for good.
//
// T is default-constructible and has reset(), which makes a returned object
// hold nothing of the request it served.

#include <cstddef>
#include <memory>
#include <vector>

namespace turnout::server {

template <class T>
class LendingPool {
public:
    static constexpr std::size_t max_free = 64;

    // A free one, or a new one when none is free.
    std::unique_ptr<T> take() {
        ++lent_;
        if (free_.empty()) {
            // Default-initialized, not value-initialized as make_unique
            // would: a buffer is not zero-filled, so only the pages a
            // request writes become resident (a small response touches
            // one page of a 64 KiB body buffer).
            return std::unique_ptr<T>(new T);
        }
        auto object = std::move(free_.back());
        free_.pop_back();
        return object;
    }

    void give_back(std::unique_ptr<T> object) {
        if (!object) {
            return;
        }
        object->reset();
        free_.push_back(std::move(object));
        if (lent_ > 0) {
            --lent_;
        }
        if (lent_ == 0 && free_.size() > max_free) {
            free_.resize(max_free);
        }
    }

    std::size_t free_count() const { return free_.size(); }

private:
    std::vector<std::unique_ptr<T>> free_;
    // Taken and not given back yet. Every borrower gives back from its
    // destructor at the latest; one that did not would only keep the pool
    // at its peak.
    std::size_t lent_ = 0;
};

}  // namespace turnout::server

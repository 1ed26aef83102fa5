#include "server/idle_wait.hpp"

#include <new>

namespace turnout::server {

WaitBlockCache::~WaitBlockCache() {
    for (std::size_t i = 0; i < count_; ++i) {
        ::operator delete(blocks_[i]);
    }
}

void* WaitBlockCache::take(std::size_t size) {
    if (count_ > 0 && size == size_) {
        return blocks_[--count_];
    }
    return ::operator new(size);
}

void WaitBlockCache::give_back(void* block, std::size_t size) noexcept {
    if (count_ == 0) {
        size_ = size;
    }
    if (size == size_ && count_ < capacity) {
        blocks_[count_++] = block;
        return;
    }
    ::operator delete(block);
}

WaitBlockCache& WaitBlockCache::of_this_thread() {
    thread_local WaitBlockCache cache;
    return cache;
}

}  // namespace turnout::server

#include "server/http/fields.hpp"

#include <array>

namespace turnout::server::field_blocks {

namespace {

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
    FreeBlock* first = nullptr;
    std::size_t count = 0;
};

// Per thread: a worker's event loop is one thread, and this needs no lock.
class FreeLists {
public:
    FreeLists() = default;
    FreeLists(const FreeLists&) = delete;
    FreeLists& operator=(const FreeLists&) = delete;
    ~FreeLists() {
        for (auto& list : lists_) {
            while (list.first) {
                FreeBlock* block = list.first;
                list.first = block->next;
                ::operator delete(block);
            }
        }
    }

    FreeList& of(std::size_t size_class) { return lists_[size_class]; }

private:
    std::array<FreeList, classes> lists_{};
};

thread_local FreeLists free_lists;

// The class of a block of `bytes` (1 to step * classes).
std::size_t class_of(std::size_t bytes) {
    return (bytes - 1) / step;
}

bool pools(std::size_t bytes) {
    return pooling && bytes != 0 && bytes <= step * classes;
}

}  // namespace

void* take(std::size_t bytes) {
    if (!pools(bytes)) {
        return ::operator new(bytes);
    }
    const std::size_t size_class = class_of(bytes);
    FreeList& list = free_lists.of(size_class);
    if (FreeBlock* block = list.first) {
        list.first = block->next;
        --list.count;
        return block;
    }
    return ::operator new((size_class + 1) * step);
}

void give_back(void* block, std::size_t bytes) noexcept {
    if (!pools(bytes)) {
        ::operator delete(block);
        return;
    }
    FreeList& list = free_lists.of(class_of(bytes));
    if (list.count == kept_per_class) {
        ::operator delete(block);
        return;
    }
    list.first = new (block) FreeBlock{list.first};
    ++list.count;
}

}  // namespace turnout::server::field_blocks

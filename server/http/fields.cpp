#include "server/http/fields.hpp"

namespace turnout::server::field_blocks::detail {

namespace {

// Frees the blocks the thread's lists kept when the thread ends.
struct FreedAtExit {
    FreedAtExit() = default;
    FreedAtExit(const FreedAtExit&) = delete;
    FreedAtExit& operator=(const FreedAtExit&) = delete;
    ~FreedAtExit() {
        for (auto& list : free_lists.lists) {
            while (list.first) {
                FreeBlock* block = list.first;
                list.first = block->next;
                ::operator delete(block);
            }
            list.count = 0;
        }
    }
};

}  // namespace

void free_at_exit() {
    static thread_local FreedAtExit freed;
    free_lists.freed_at_exit = true;
}

}  // namespace turnout::server::field_blocks::detail

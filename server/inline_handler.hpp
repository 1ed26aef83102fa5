#pragma once

// A move-only completion handler, void(Args...), kept inside the object
// itself: never an allocation. std::function allocates for any capture
// that is not trivially copyable, and an exchange's handlers hold a
// shared_ptr to it, so every step of every request cost an allocation and
// a free. A callable larger than Size bytes does not compile.

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace turnout::server {

template <std::size_t Size, class... Args>
class InlineHandler {
public:
    InlineHandler() = default;

    template <class F>
    requires(!std::is_same_v<std::decay_t<F>, InlineHandler> &&
             std::is_invocable_r_v<void, std::decay_t<F>&, Args...>)
        InlineHandler(F&& callable) {  // NOLINT: implicit, as std::function's
        using T = std::decay_t<F>;
        static_assert(sizeof(T) <= Size, "the handler's captures do not fit: raise Size");
        static_assert(alignof(T) <= alignof(std::max_align_t));
        static_assert(std::is_nothrow_move_constructible_v<T>);
        ::new (static_cast<void*>(storage_)) T(std::forward<F>(callable));
        ops_ = &ops_for<T>;
    }

    InlineHandler(InlineHandler&& other) noexcept { take(other); }
    InlineHandler& operator=(InlineHandler&& other) noexcept {
        if (this != &other) {
            reset();
            take(other);
        }
        return *this;
    }
    InlineHandler(const InlineHandler&) = delete;
    InlineHandler& operator=(const InlineHandler&) = delete;
    ~InlineHandler() { reset(); }

    explicit operator bool() const { return ops_ != nullptr; }

    void operator()(Args... args) { ops_->call(storage_, std::forward<Args>(args)...); }

private:
    struct Ops {
        void (*call)(void* self, Args&&... args);
        void (*move)(void* from, void* to);  // and destroys `from`
        void (*destroy)(void* self);
    };

    template <class T>
    static constexpr Ops ops_for{
        [](void* self, Args&&... args) { (*static_cast<T*>(self))(std::forward<Args>(args)...); },
        [](void* from, void* to) {
            ::new (to) T(std::move(*static_cast<T*>(from)));
            static_cast<T*>(from)->~T();
        },
        [](void* self) { static_cast<T*>(self)->~T(); },
    };

    void take(InlineHandler& other) {
        if (other.ops_ != nullptr) {
            other.ops_->move(other.storage_, storage_);
            ops_ = std::exchange(other.ops_, nullptr);
        }
    }

    void reset() {
        if (ops_ != nullptr) {
            std::exchange(ops_, nullptr)->destroy(storage_);
        }
    }

    alignas(std::max_align_t) unsigned char storage_[Size];
    const Ops* ops_ = nullptr;
};

}  // namespace turnout::server

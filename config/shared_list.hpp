#pragma once

// A list whose items are shared between the configs that hold it. A change
// copies the live Config and edits the copy (config/edits): with the routes
// as values, putting one route into 10,000 copied and then freed every route
// and its strings, about two thirds of a one-route change's time in the
// master. Here a copy copies one pointer per item, and an edit copies only
// the item it changes (copy on write). Items are never changed while two
// lists hold them, so a Config another thread reads (the store's writer)
// stays as it was.

#include <boost/iterator/indirect_iterator.hpp>

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <memory>
#include <utility>
#include <vector>

namespace turnout::config {

template <typename T>
class SharedList {
    using Items = std::vector<std::shared_ptr<T>>;

public:
    using value_type = T;
    using const_iterator = boost::indirect_iterator<typename Items::const_iterator, const T>;

    SharedList() = default;
    SharedList(std::initializer_list<T> items) {
        reserve(items.size());
        for (const T& item : items) {
            push_back(item);
        }
    }
    explicit SharedList(std::vector<T> items) {
        reserve(items.size());
        for (T& item : items) {
            push_back(std::move(item));
        }
    }

    const_iterator begin() const { return const_iterator(items_.begin()); }
    const_iterator end() const { return const_iterator(items_.end()); }
    std::size_t size() const { return items_.size(); }
    bool empty() const { return items_.empty(); }
    const T& operator[](std::size_t i) const { return *items_[i]; }
    const T& at(std::size_t i) const { return *items_.at(i); }
    const T& front() const { return *items_.front(); }
    const T& back() const { return *items_.back(); }

    void reserve(std::size_t n) { items_.reserve(n); }
    void push_back(T item) { items_.push_back(std::make_shared<T>(std::move(item))); }

    // Item `i`, for changing: first a copy of it when another list holds it
    // too.
    T& edit(std::size_t i) {
        auto& item = items_[i];
        // use_count() == 1 cannot be wrong here: only a list holding the
        // item could share it further, and this one is being edited.
        if (item.use_count() != 1) {
            item = std::make_shared<T>(std::as_const(*item));
        }
        return *item;
    }

    void replace(std::size_t i, T item) { items_[i] = std::make_shared<T>(std::move(item)); }
    void insert(std::size_t i, T item) {
        items_.insert(items_.begin() + static_cast<std::ptrdiff_t>(i),
                      std::make_shared<T>(std::move(item)));
    }

    template <typename Predicate>
    void erase_if(Predicate matches) {
        std::erase_if(items_, [&](const std::shared_ptr<T>& item) { return matches(*item); });
    }

    // Hands each item, in order, to `take_item` as an rvalue, emptying the
    // list: moved where this list alone holds it, else a copy. Each item's
    // block is freed as soon as it is handed over, so the items are never
    // held twice over (a worker's route table takes 10,000 routes this way).
    template <typename TakeItem>
    void consume(TakeItem take_item) && {
        for (auto& item : items_) {
            if (item.use_count() == 1) {
                take_item(std::move(*item));
            } else {
                take_item(T(std::as_const(*item)));
            }
            item.reset();
        }
        items_.clear();
    }

    bool operator==(const SharedList& other) const {
        return std::equal(items_.begin(), items_.end(), other.items_.begin(), other.items_.end(),
                          [](const std::shared_ptr<T>& a, const std::shared_ptr<T>& b) {
                              return a == b || *a == *b;
                          });
    }

private:
    Items items_;
};

}  // namespace turnout::config

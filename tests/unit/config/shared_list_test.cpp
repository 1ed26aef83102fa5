// SharedList: copies share items, an edit copies only the item it changes,
// and a list another one was copied from never sees the change.

#include "config/shared_list.hpp"

#include <catch2/catch.hpp>

#include <string>

using turnout::config::SharedList;

namespace {

struct Item {
    std::string name;
    int value = 0;
    bool operator==(const Item&) const = default;
};

SharedList<Item> three() {
    return {{"a", 1}, {"b", 2}, {"c", 3}};
}

}  // namespace

TEST_CASE("a copied list shares its items until one is edited", "[config][shared_list]") {
    const SharedList<Item> live = three();
    SharedList<Item> next = live;
    CHECK(&next[0] == &live[0]);
    CHECK(&next[2] == &live[2]);

    next.edit(1).value = 20;
    CHECK(live[1].value == 2);
    CHECK(next[1].value == 20);
    CHECK(&next[1] != &live[1]);
    CHECK(&next[0] == &live[0]);
    CHECK(&next[2] == &live[2]);
    CHECK_FALSE(next == live);
}

TEST_CASE("an item only one list holds is edited where it is", "[config][shared_list]") {
    SharedList<Item> list = three();
    const Item* before = &list[1];
    list.edit(1).value = 20;
    CHECK(&list[1] == before);
    CHECK(list[1].value == 20);
}

TEST_CASE("replace, insert and erase_if leave the list copied from as it was",
          "[config][shared_list]") {
    const SharedList<Item> live = three();
    SharedList<Item> next = live;
    next.replace(0, Item{"a", 10});
    next.insert(1, Item{"new", 0});
    next.erase_if([](const Item& item) { return item.name == "c"; });
    next.push_back(Item{"d", 4});

    CHECK(live == three());
    REQUIRE(next.size() == 4);
    CHECK(next[0] == Item{"a", 10});
    CHECK(next[1] == Item{"new", 0});
    CHECK(&next[2] == &live[1]);
    CHECK(next.back() == Item{"d", 4});
}

TEST_CASE("lists are equal by their items' values", "[config][shared_list]") {
    CHECK(three() == three());
    SharedList<Item> other = three();
    other.edit(2).value = 30;
    CHECK_FALSE(other == three());
    other.erase_if([](const Item& item) { return item.name == "c"; });
    CHECK_FALSE(other == three());
    CHECK(SharedList<Item>{} == SharedList<Item>{});
}

TEST_CASE("consume moves out the items a list alone holds and copies shared ones",
          "[config][shared_list]") {
    SharedList<Item> list = three();
    const SharedList<Item> keeper = list;
    list.replace(0, Item{"only", 5});
    std::vector<Item> taken;
    std::move(list).consume([&](Item&& item) { taken.push_back(std::move(item)); });
    REQUIRE(taken.size() == 3);
    CHECK(taken[0] == Item{"only", 5});
    CHECK(taken[1] == Item{"b", 2});
    CHECK(keeper == three());
}

TEST_CASE("the items are visited in order through const references", "[config][shared_list]") {
    std::string names;
    for (const Item& item : three()) {
        names += item.name;
    }
    CHECK(names == "abc");
    const auto list = three();
    CHECK(std::find_if(list.begin(), list.end(), [](const Item& item) { return item.value == 3; }) -
              list.begin() ==
          2);
    CHECK_THROWS_AS(list.at(3), std::out_of_range);
}

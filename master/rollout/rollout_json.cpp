// A rollout as JSON: what GET /v1/rollouts/{route} shows and what the
// master keeps in state_dir to go on after a restart.

#include "master/rollout/rollout.hpp"

#include "master/rollout/rollout_split.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace turnout::master {

namespace json = boost::json;

namespace {

json::array split_json(const std::vector<config::SplitEntry>& split) {
    json::array out;
    for (const auto& side : split) {
        out.push_back(json::object{{"upstream", side.upstream}, {"weight", side.weight}});
    }
    return out;
}

json::array transitions_json(const std::vector<RolloutTransition>& transitions) {
    json::array out;
    for (const auto& transition : transitions) {
        out.push_back(json::object{{"time_ms", transition.time_ms},
                                   {"from", to_string(transition.from)},
                                   {"to", to_string(transition.to)},
                                   {"weight", transition.weight},
                                   {"reason", transition.reason}});
    }
    return out;
}

// The integer at `key` within [low, high], or nullopt (and `error` set).
std::optional<std::int64_t> read_int(const json::object& object, std::string_view key,
                                     std::int64_t low, std::int64_t high, std::string& error) {
    const auto* value = object.if_contains(key);
    std::optional<std::int64_t> number;
    if (value && value->is_int64()) {
        number = value->as_int64();
    } else if (value && value->is_uint64() && value->as_uint64() <= INT64_MAX) {
        number = static_cast<std::int64_t>(value->as_uint64());
    }
    if (!number || *number < low || *number > high) {
        error = std::string{key} + ": must be an integer from " + std::to_string(low) + " to " +
                std::to_string(high);
        return std::nullopt;
    }
    return number;
}

std::string read_string(const json::object& object, std::string_view key, std::string& out) {
    const auto* value = object.if_contains(key);
    if (!value || !value->is_string()) {
        return std::string{key} + ": must be a string";
    }
    out = std::string{value->as_string()};
    return {};
}

std::optional<RolloutState> read_state(const json::object& object, std::string_view key,
                                       std::string& error) {
    std::string text;
    if (auto wrong = read_string(object, key, text); !wrong.empty()) {
        error = std::move(wrong);
        return std::nullopt;
    }
    auto state = rollout_state_from(text);
    if (!state) {
        error = std::string{key} + ": unknown state '" + text + "'";
    }
    return state;
}

std::string read_others(const json::value* value, std::vector<config::SplitEntry>& out) {
    if (!value || !value->is_array() || value->as_array().empty()) {
        return "from: must be a non-empty list of {upstream, weight}";
    }
    std::uint64_t total = 0;
    for (const auto& item : value->as_array()) {
        config::SplitEntry side;
        std::string error;
        if (!item.is_object() ||
            !read_string(item.as_object(), "upstream", side.upstream).empty()) {
            return "from: each side needs an upstream name";
        }
        const auto weight = read_int(item.as_object(), "weight", 0, 1'000'000, error);
        if (!weight) {
            return "from: " + error;
        }
        side.weight = static_cast<std::uint32_t>(*weight);
        total += side.weight;
        out.push_back(std::move(side));
    }
    return total == 0 ? "from: the weights add up to 0" : "";
}

std::string read_transitions(const json::value* value, std::vector<RolloutTransition>& out) {
    if (!value || !value->is_array()) {
        return "transitions: must be a list";
    }
    for (const auto& item : value->as_array()) {
        if (!item.is_object()) {
            return "transitions: each must be an object";
        }
        const auto& object = item.as_object();
        RolloutTransition transition;
        std::string error;
        const auto time = read_int(object, "time_ms", INT64_MIN, INT64_MAX, error);
        const auto from = read_state(object, "from", error);
        const auto to = read_state(object, "to", error);
        const auto weight = read_int(object, "weight", 0, 100, error);
        if (!time || !from || !to || !weight ||
            !(error = read_string(object, "reason", transition.reason)).empty()) {
            return "transitions: " + error;
        }
        transition.time_ms = *time;
        transition.from = *from;
        transition.to = *to;
        transition.weight = static_cast<std::uint32_t>(*weight);
        out.push_back(std::move(transition));
    }
    return {};
}

}  // namespace

json::object Rollout::to_json(const RolloutInstant& now) const {
    json::value deadline_in_ms = nullptr;
    if (deadline_) {
        const auto left =
            std::chrono::duration_cast<std::chrono::milliseconds>(*deadline_ - now.steady);
        deadline_in_ms = std::max<std::int64_t>(0, left.count());
    }
    return json::object{{"route", spec_.route},
                        {"to", spec_.to},
                        {"state", to_string(state_)},
                        {"weight", weight_},
                        {"step", step_},
                        {"reason", reason_},
                        {"spec", master::to_json(spec_)},
                        {"from", split_json(others_)},
                        {"split", split_json(split())},
                        {"deadline_in_ms", std::move(deadline_in_ms)},
                        {"transitions", transitions_json(transitions_)}};
}

std::variant<Rollout, std::string> Rollout::from_json(const json::value& value,
                                                      const RolloutInstant& now) {
    if (!value.is_object() || !value.as_object().if_contains("spec")) {
        return std::string{"a rollout must be an object with a spec"};
    }
    const auto& object = value.as_object();
    auto spec = parse_rollout_spec(object.at("spec"));
    if (auto* error = std::get_if<std::string>(&spec)) {
        return "spec: " + *error;
    }
    Rollout rollout(std::move(std::get<RolloutSpec>(spec)), {});
    std::string error;
    const auto state = read_state(object, "state", error);
    const auto last_step = static_cast<std::int64_t>(rollout.spec_.steps.size()) - 1;
    const auto step = read_int(object, "step", 0, last_step, error);
    const auto weight = read_int(object, "weight", 0, 100, error);
    if (!state || !step || !weight ||
        !(error = read_string(object, "reason", rollout.reason_)).empty() ||
        !(error = read_others(object.if_contains("from"), rollout.others_)).empty() ||
        !(error = read_transitions(object.if_contains("transitions"), rollout.transitions_))
             .empty()) {
        return error;
    }
    rollout.state_ = *state;
    rollout.step_ = static_cast<std::size_t>(*step);
    rollout.weight_ = static_cast<std::uint32_t>(*weight);
    if (*state == RolloutState::stepping || *state == RolloutState::holding) {
        const auto interval = rollout.spec_.interval.count();
        const auto* left = object.if_contains("deadline_in_ms");
        const auto in_ms = left && !left->is_null()
                               ? read_int(object, "deadline_in_ms", 0, INT64_MAX, error)
                               : std::optional<std::int64_t>{interval};
        if (!in_ms) {
            return error;
        }
        rollout.deadline_ = now.steady + std::chrono::milliseconds(std::min(*in_ms, interval));
    }
    return rollout;
}

}  // namespace turnout::master

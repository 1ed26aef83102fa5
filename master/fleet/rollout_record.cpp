#include "master/fleet/rollout_record.hpp"

#include <boost/json/array.hpp>

namespace turnout::master::fleet {

namespace json = boost::json;

namespace {

std::string string_in(const json::object& object, std::string_view name) {
    const auto* value = object.if_contains(name);
    return value && value->is_string() ? std::string{value->get_string()} : std::string{};
}

std::int64_t number_in(const json::object& object, std::string_view name) {
    const auto* value = object.if_contains(name);
    return value && value->is_number() && !value->is_double() ? value->to_number<std::int64_t>()
                                                              : 0;
}

json::object request_json(const RolloutRequest& request) {
    return {{"action", request.action}, {"id", request.id}, {"reason", request.reason}};
}

}  // namespace

std::variant<RolloutRecord, std::string> read_rollout_record(const json::value& value,
                                                             const RolloutInstant& now) {
    const auto* object = value.if_object();
    const auto* spec_json = object ? object->if_contains("spec") : nullptr;
    if (!spec_json) {
        return std::string{"a fleet rollout must be an object with a spec"};
    }
    auto spec = parse_rollout_spec(*spec_json);
    if (auto* error = std::get_if<std::string>(&spec)) {
        return "spec: " + *error;
    }
    RolloutRecord record;
    record.spec = std::get<RolloutSpec>(std::move(spec));
    if (string_in(*object, "state") != "pending") {
        auto with_deadline = *object;
        const auto* deadline = object->if_contains("deadline_unix_ms");
        if (deadline && deadline->is_number()) {
            with_deadline["deadline_in_ms"] =
                std::max<std::int64_t>(0, number_in(*object, "deadline_unix_ms") - now.unix_ms);
        }
        auto rollout = Rollout::from_json(with_deadline, now);
        if (auto* error = std::get_if<std::string>(&rollout)) {
            return *error;
        }
        record.rollout.emplace(std::get<Rollout>(std::move(rollout)));
    }
    record.step_written_ms = number_in(*object, "step_written_ms");
    const auto* counting = object->if_contains("counting");
    record.counting = counting && counting->is_bool() && counting->get_bool();
    if (const auto* behind = object->if_contains("behind"); behind && behind->is_array()) {
        for (const auto& node : behind->get_array()) {
            if (node.is_string()) {
                record.behind.emplace_back(node.get_string());
            }
        }
    }
    record.leader = string_in(*object, "leader");
    if (const auto* request = object->if_contains("request"); request && request->is_object()) {
        record.request = RolloutRequest{string_in(request->get_object(), "action"),
                                        string_in(request->get_object(), "id"),
                                        string_in(request->get_object(), "reason")};
    }
    if (const auto* answer = object->if_contains("answer"); answer && answer->is_object()) {
        record.answer = answer->get_object();
    }
    return record;
}

json::object to_json(const RolloutRecord& record, const RolloutInstant& now) {
    json::object object;
    if (record.rollout) {
        object = record.rollout->to_json(now);
        const auto* left = object.if_contains("deadline_in_ms");
        object["deadline_unix_ms"] =
            left && left->is_int64() ? json::value(now.unix_ms + left->get_int64()) : nullptr;
    } else {
        object = {{"route", record.spec.route},
                  {"to", record.spec.to},
                  {"state", "pending"},
                  {"spec", master::to_json(record.spec)}};
    }
    json::array behind;
    for (const auto& node : record.behind) {
        behind.emplace_back(node);
    }
    object["step_written_ms"] = record.step_written_ms;
    object["counting"] = record.counting;
    object["behind"] = std::move(behind);
    object["leader"] = record.leader;
    if (record.request) {
        object["request"] = request_json(*record.request);
    }
    if (!record.answer.empty()) {
        object["answer"] = record.answer;
    }
    return object;
}

}  // namespace turnout::master::fleet

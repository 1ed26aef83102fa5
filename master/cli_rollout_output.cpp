// How the CLI shows one rollout (GET /v1/rollouts/{route}, and the answer
// to starting or acting on one): its state in a line, its split, the
// reason it stopped, and its transitions as a table.

#include "master/cli_json.hpp"
#include "master/cli_output.hpp"
#include "master/time_format.hpp"

#include <boost/json/array.hpp>

#include <cmath>

namespace turnout::master {

namespace json = boost::json;

namespace {

// "stepping at 5% (step 2 of 5)", leaving out what the answer lacks.
std::string progress(const json::value& rollout) {
    std::string out = text(rollout, "state") + " at " + text(rollout, "weight") + "%";
    const auto step = number(field(rollout, "step"));
    const auto* spec = field(rollout, "spec");
    const auto* steps = spec ? field(*spec, "steps") : nullptr;
    if (step && steps && steps->is_array()) {
        out += " (step " + std::to_string(static_cast<long>(*step) + 1) + " of " +
               std::to_string(steps->as_array().size()) + ")";
    }
    if (const auto left_ms = number(field(rollout, "deadline_in_ms"))) {
        out += ", next decision in " + std::to_string(std::lround(*left_ms / 1000)) + "s";
    }
    return out;
}

std::string split_text(const json::value* split) {
    if (!split || !split->is_array()) {
        return "-";
    }
    std::string out;
    for (const auto& side : split->as_array()) {
        out += (out.empty() ? "" : " ") + text(side, "upstream") + "=" + text(side, "weight");
    }
    return out;
}

void print_transitions(std::ostream& out, const json::value* transitions) {
    if (!transitions || !transitions->is_array() || transitions->as_array().empty()) {
        return;
    }
    std::vector<Row> rows{{"TIME", "FROM", "TO", "WEIGHT", "REASON"}};
    for (const auto& transition : transitions->as_array()) {
        const auto ms = number(field(transition, "time_ms"));
        rows.push_back({ms ? iso8601_utc(static_cast<std::int64_t>(*ms)) : "-",
                        text(transition, "from"), text(transition, "to"),
                        text(transition, "weight"), text(transition, "reason")});
    }
    out << "transitions:\n";
    print_table(out, rows, "  ");
}

}  // namespace

bool print_rollout(std::ostream& out, const std::string& body) {
    const auto value = parse_answer(body);
    if (!value || !value->is_object()) {
        return false;
    }
    out << "rollout " << text(*value, "route") << " to " << text(*value, "to") << ": "
        << progress(*value) << '\n';
    out << "split: " << split_text(field(*value, "split")) << '\n';
    if (const auto reason = text(*value, "reason"); reason != "-" && !reason.empty()) {
        out << "reason: " << reason << '\n';
    }
    print_transitions(out, field(*value, "transitions"));
    return true;
}

}  // namespace turnout::master

// Reading and checking a rollout's spec from its JSON form.

#include "config/rollout_spec.hpp"

#include "config/loader.hpp"
#include "config/syntax.hpp"
#include "config/yaml_writer_text.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <optional>
#include <string_view>

namespace turnout::master {

namespace json = boost::json;

namespace {

// An integer JSON number, whatever its storage; nullopt for anything else.
std::optional<std::int64_t> integer(const json::value& value) {
    if (value.is_int64()) {
        return value.as_int64();
    }
    if (value.is_uint64() && value.as_uint64() <= INT64_MAX) {
        return static_cast<std::int64_t>(value.as_uint64());
    }
    return std::nullopt;
}

std::string read_name(const json::value& value, std::string& out) {
    if (!value.is_string() || value.as_string().empty()) {
        return "must be a non-empty string";
    }
    out = std::string{value.as_string()};
    if (!config::detail::is_name(out)) {
        return "must be a name of letters, digits, '.', '_' and '-', got " +
               config::detail::quote(out);
    }
    return {};
}

// What is wrong with steps already read as percents; empty when nothing.
std::string check_steps(const std::vector<std::uint32_t>& steps) {
    for (std::size_t i = 1; i < steps.size(); ++i) {
        if (steps[i] <= steps[i - 1]) {
            return "must be strictly increasing, got " + std::to_string(steps[i]) + " after " +
                   std::to_string(steps[i - 1]);
        }
    }
    if (steps.back() != 100) {
        return "the last step must be 100, got " + std::to_string(steps.back());
    }
    return {};
}

std::string read_steps(const json::value& value, std::vector<std::uint32_t>& out) {
    if (!value.is_array() || value.as_array().empty()) {
        return "must be a non-empty list of percents like [1, 5, 25, 50, 100]";
    }
    std::vector<std::uint32_t> steps;
    for (const auto& item : value.as_array()) {
        const auto step = integer(item);
        if (!step || *step < 1 || *step > 100) {
            return "each step must be a whole percent from 1 to 100, got " + json::serialize(item);
        }
        steps.push_back(static_cast<std::uint32_t>(*step));
    }
    if (auto error = check_steps(steps); !error.empty()) {
        return error;
    }
    out = std::move(steps);
    return {};
}

std::string read_duration(const json::value& value, config::Duration minimum,
                          config::Duration& out) {
    const auto parsed =
        value.is_string() ? config::parse_duration(value.as_string()) : std::nullopt;
    if (!parsed) {
        return "must be a duration like \"500ms\", \"30s\" or \"5m\", got " +
               json::serialize(value);
    }
    if (*parsed < minimum) {
        return "must be at least " + config::detail::duration_text(minimum) + ", got " +
               config::detail::duration_text(*parsed);
    }
    out = *parsed;
    return {};
}

std::string read_rate(const json::value& value, double& out) {
    const auto rate = value.is_number() ? std::optional{value.to_number<double>()} : std::nullopt;
    if (!rate || !std::isfinite(*rate) || *rate < 0 || *rate > 1) {
        return "must be a number from 0 to 1, got " + json::serialize(value);
    }
    out = *rate;
    return {};
}

std::string read_count(const json::value& value, std::uint64_t& out) {
    if (value.is_uint64()) {
        out = value.as_uint64();
        return {};
    }
    const auto count = integer(value);
    if (!count || *count < 0) {
        return "must be a whole number of requests, 0 or more, got " + json::serialize(value);
    }
    out = static_cast<std::uint64_t>(*count);
    return {};
}

// The body's fields: each reads its value into the spec, or says what is
// wrong with it.
struct SpecField {
    std::string_view name;
    bool required;
    std::string (*read)(const json::value&, RolloutSpec&);
};

constexpr SpecField spec_fields[] = {
    {"route", true, [](const json::value& v, RolloutSpec& s) { return read_name(v, s.route); }},
    {"to", true, [](const json::value& v, RolloutSpec& s) { return read_name(v, s.to); }},
    {"steps", false, [](const json::value& v, RolloutSpec& s) { return read_steps(v, s.steps); }},
    {"interval", false,
     [](const json::value& v, RolloutSpec& s) {
         return read_duration(v, min_rollout_interval, s.interval);
     }},
    {"max_error_rate", false,
     [](const json::value& v, RolloutSpec& s) { return read_rate(v, s.max_error_rate); }},
    {"max_p99", false,
     [](const json::value& v, RolloutSpec& s) {
         return read_duration(v, std::chrono::milliseconds(1), s.max_p99);
     }},
    {"min_requests", false,
     [](const json::value& v, RolloutSpec& s) { return read_count(v, s.min_requests); }},
};

std::string unknown_field(std::string_view key) {
    std::vector<std::string> known;
    for (const auto& field : spec_fields) {
        known.emplace_back(field.name);
    }
    std::string message = std::string{key} + ": unknown field";
    if (auto near = config::detail::closest_match(key, known)) {
        message += "; did you mean '" + *near + "'?";
    } else {
        message += "; known: " + config::detail::join(known);
    }
    return message;
}

}  // namespace

std::variant<RolloutSpec, std::string> parse_rollout_spec(const json::value& body) {
    if (!body.is_object()) {
        return std::string{
            "the body must be a JSON object like {\"route\": \"api\", \"to\": \"app-v2\"}"};
    }
    const auto& object = body.as_object();
    for (const auto& entry : object) {
        const auto* known =
            std::find_if(std::begin(spec_fields), std::end(spec_fields),
                         [&](const SpecField& field) { return field.name == entry.key(); });
        if (known == std::end(spec_fields)) {
            return unknown_field(entry.key());
        }
    }
    RolloutSpec spec;
    for (const auto& field : spec_fields) {
        const auto* value = object.if_contains(field.name);
        if (!value) {
            if (field.required) {
                return std::string{field.name} + ": required";
            }
            continue;
        }
        if (auto error = field.read(*value, spec); !error.empty()) {
            return std::string{field.name} + ": " + error;
        }
    }
    return spec;
}

json::object to_json(const RolloutSpec& spec) {
    json::array steps(spec.steps.begin(), spec.steps.end());
    return json::object{{"route", spec.route},
                        {"to", spec.to},
                        {"steps", std::move(steps)},
                        {"interval", config::detail::duration_text(spec.interval)},
                        {"max_error_rate", spec.max_error_rate},
                        {"max_p99", config::detail::duration_text(spec.max_p99)},
                        {"min_requests", spec.min_requests}};
}

}  // namespace turnout::master

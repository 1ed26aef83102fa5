#include "master/cli_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace turnout::master {

namespace json = boost::json;

std::optional<json::value> parse_answer(const std::string& body) {
    boost::system::error_code ec;
    auto value = json::parse(body, ec);
    if (ec) {
        return std::nullopt;
    }
    return value;
}

const json::value* field(const json::value& value, std::string_view name) {
    const auto* object = value.if_object();
    return object ? object->if_contains(name) : nullptr;
}

std::string text(const json::value* value) {
    if (!value || value->is_null()) {
        return "-";
    }
    if (value->is_string()) {
        return std::string{value->as_string()};
    }
    if (value->is_bool()) {
        return value->as_bool() ? "yes" : "no";
    }
    return json::serialize(*value);
}

std::string text(const json::value& object, std::string_view name) {
    return text(field(object, name));
}

std::optional<double> number(const json::value* value) {
    if (value && (value->is_int64() || value->is_uint64() || value->is_double())) {
        return value->to_number<double>();
    }
    return std::nullopt;
}

void print_table(std::ostream& out, const std::vector<Row>& rows, std::string_view indent) {
    std::vector<std::size_t> widths;
    for (const auto& row : rows) {
        widths.resize(std::max(widths.size(), row.size()));
        for (std::size_t i = 0; i < row.size(); ++i) {
            widths[i] = std::max(widths[i], row[i].size());
        }
    }
    for (const auto& row : rows) {
        std::string line{indent};
        for (std::size_t i = 0; i < row.size(); ++i) {
            line += row[i];
            if (i + 1 < row.size()) {
                line.append(widths[i] - row[i].size() + 2, ' ');
            }
        }
        out << line << '\n';
    }
}

}  // namespace turnout::master

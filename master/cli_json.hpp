#pragma once

// Reading the admin API's JSON for people, leniently: a field the master
// does not send reads as absent ("-") rather than failing the command; and
// the aligned tables the CLI prints.

#include <boost/json/value.hpp>

#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace turnout::master {

using Row = std::vector<std::string>;

// nullopt when `body` is not JSON.
std::optional<boost::json::value> parse_answer(const std::string& body);

// The member `name` of an object; nullptr when absent or not an object.
const boost::json::value* field(const boost::json::value& value, std::string_view name);

// A field as text: strings as they are, booleans as yes/no, other values as
// JSON, absent as "-".
std::string text(const boost::json::value* value);
std::string text(const boost::json::value& object, std::string_view name);

std::optional<double> number(const boost::json::value* value);

// Columns padded to their widest cell, two spaces apart; the first row is
// the heading.
void print_table(std::ostream& out, const std::vector<Row>& rows, std::string_view indent = "");

}  // namespace turnout::master

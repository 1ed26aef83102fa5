#pragma once

// Beast's own reading of a message, the reference turnout's heads are
// compared with: its fields as plain (name, value) pairs in their order, and
// a whole message parsed by Beast's parser.

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

namespace turnout::test {

using FieldList = std::vector<std::pair<std::string, std::string>>;

// Any head a range-for walks whose fields have name_string() and value():
// a RequestHead, a ResponseHead, a Beast message or basic_fields.
template <class Head>
FieldList fields_of(const Head& head) {
    FieldList out;
    for (const auto& field : head) {
        out.emplace_back(std::string{field.name_string()}, std::string{field.value()});
    }
    return out;
}

// `text`, a whole message, as Beast's parser reads it (a chunked body's
// trailer fields join the message's fields, as Beast adds them).
template <bool isRequest>
boost::beast::http::message<isRequest, boost::beast::http::string_body> parsed_by_beast(
    const std::string& text) {
    boost::beast::http::parser<isRequest, boost::beast::http::string_body> parser;
    parser.eager(true);
    boost::system::error_code ec;
    parser.put(boost::asio::buffer(text), ec);
    REQUIRE_FALSE(ec);
    REQUIRE(parser.is_done());
    return parser.release();
}

}  // namespace turnout::test

#pragma once

// Beast's own reading of a whole message, the reference turnout's heads
// are compared with.

#include "tests/support/field_list.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <catch2/catch.hpp>

#include <string>

namespace turnout::test {

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

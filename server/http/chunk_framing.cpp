#include "server/http/chunk_framing.hpp"

#include <charconv>
#include <cstring>
#include <string_view>

namespace turnout::server {

std::array<boost::asio::const_buffer, 4> as_chunk(
    const boost::beast::http::buffer_body::value_type& body, ChunkSizeLine& size_line) {
    namespace asio = boost::asio;
    static constexpr std::string_view crlf = "\r\n";
    static constexpr std::string_view last_chunk = "0\r\n\r\n";
    const std::size_t size = body.data ? body.size : 0;
    const asio::const_buffer end =
        body.more ? asio::const_buffer{} : asio::buffer(last_chunk.data(), last_chunk.size());
    if (size == 0) {
        return {end};
    }
    const auto [digits_end, ignored] =
        std::to_chars(size_line.data(), size_line.data() + 16, size, 16);
    static_cast<void>(ignored);
    std::memcpy(digits_end, crlf.data(), crlf.size());
    const auto line =
        asio::buffer(size_line.data(), static_cast<std::size_t>(digits_end - size_line.data()) + 2);
    return {line, asio::const_buffer{body.data, size}, asio::buffer(crlf.data(), crlf.size()), end};
}

}  // namespace turnout::server

#pragma once

// A body piece framed as a chunk (RFC 9112 §7.1), for the bodies turnout
// sends chunked itself: a response to an HTTP/1.1 client, a request to an
// upstream. The piece is not copied: the frame is the size line, the piece
// where it lies, and the CRLFs around it.

#include <boost/asio/buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>

#include <array>

namespace turnout::server {

// A chunk's size line while it is written: up to 16 hex digits and CRLF.
using ChunkSizeLine = std::array<char, 18>;

// The piece `body` points at as a chunk (nothing for an empty piece), then
// the last chunk, without trailers, once body.more is false. Empty buffers
// fill the array's unused places.
std::array<boost::asio::const_buffer, 4> as_chunk(
    const boost::beast::http::buffer_body::value_type& body, ChunkSizeLine& size_line);

}  // namespace turnout::server

#pragma once
// Pure checks of request headers (RFC 9110 / 9112 / 6455), kept apart from Beast so they can be
// unit-tested and fuzzed.
#include <string>
#include <string_view>

namespace boxoffice::http {

// If-None-Match against a strong ETag: "*", a comma list, weak tags (W/"...") compared weakly.
bool etag_matches(std::string_view if_none_match, std::string_view etag);

enum class TransferCoding {
  none,         // no Transfer-Encoding: the length comes from Content-Length
  chunked,      // exactly "chunked"
  not_chunked,  // chunked is missing or not the final coding: 400 and close (RFC 9112 6.3)
  unsupported,  // another coding before chunked (gzip, chunked): 501 and close
};
// `value`: every Transfer-Encoding field line joined by commas.
TransferCoding classify_transfer_encoding(std::string_view value);

// Chunked framing that the parser stalls on: `unparsed` is what is left of a chunked body once
// the parser has taken all it could, so it starts at a chunk-size line, the CRLF after a chunk
// or the trailer. A line feed there without its carriage return (bare LF, RFC 9112 2.2) would
// make the parser wait for a CRLF that never comes; true means answer 400 now instead.
bool bare_lf_in_chunk_framing(std::string_view unparsed);

// A request body's Content-Encoding the server can read: none or "identity" (RFC 9110 8.4.1;
// anything else is 415, rather than a misleading "malformed JSON").
bool readable_content_encoding(std::string_view value);

// Sec-WebSocket-Key must be the base64 of 16 bytes (RFC 6455 4.2.1).
bool valid_websocket_key(std::string_view key);

// The rate-limit key of a client address: IPv4 as it is, IPv6 by its /64 (one subscriber
// usually owns a whole /64, so counting single addresses would let it rotate freely).
std::string client_rate_key(std::string_view ip);

}  // namespace boxoffice::http

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

// Sec-WebSocket-Key must be the base64 of 16 bytes (RFC 6455 4.2.1).
bool valid_websocket_key(std::string_view key);

// The rate-limit key of a client address: IPv4 as it is, IPv6 by its /64 (one subscriber
// usually owns a whole /64, so counting single addresses would let it rotate freely).
std::string client_rate_key(std::string_view ip);

}  // namespace boxoffice::http

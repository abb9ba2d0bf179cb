#pragma once
#include <span>
#include <string_view>

namespace boxoffice::http {

struct Asset {
  std::string_view path;  // URL path: "/" for index.html, "/openapi.yaml", "/static/<name>"
  std::string_view content_type;
  std::string_view body;
};

// The web page and docs/openapi.yaml, compiled into the binary (cmake/embed_assets.cmake).
std::span<const Asset> embedded_assets();

}  // namespace boxoffice::http

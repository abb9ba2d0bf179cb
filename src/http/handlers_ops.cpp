#include "coord/coordinator.hpp"
#include "http/assets.hpp"
#include "http/handler_support.hpp"
#include "http/handlers.hpp"
#include "http/headers.hpp"
#include "ops/metrics.hpp"
#include "store/store.hpp"

namespace boxoffice::http::handlers {

awaitable<Response> healthz(Api&, Request&) {
  co_return json_response(200, R"({"status":"ok"})");
}

awaitable<Response> readyz(Api& api, Request&) {
  boost::json::object checks;
  bool ready = true;
  if (api.draining.load()) {
    checks["shutdown"] = "shutting down";
    ready = false;
  }
  std::vector<HealthCheck> health = co_await api.store.health();
  if (api.coordinator.health) {
    std::vector<HealthCheck> more = co_await api.coordinator.health();
    health.insert(health.end(), more.begin(), more.end());
  }
  for (const HealthCheck& h : health) {
    checks[h.name] = h.state;
    if (!h.ok && !h.degrades_only) ready = false;
  }
  if (ready)
    co_return json_of(200, boost::json::object{{"status", "ok"}, {"checks", std::move(checks)}});
  Error e = Error::unavailable("not ready");
  Response r = problem_response(e);
  auto body = boost::json::parse(r.body).as_object();
  body["checks"] = std::move(checks);
  r.body = boost::json::serialize(body);
  co_return r;
}

awaitable<Response> metrics(Api& api, Request&) {
  Response r = json_response(200, api.metrics.render());
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  co_return r;
}

namespace {

// The embedded assets with their bytes shared and their ETags computed once, not per request.
struct PreparedAsset {
  const Asset* asset;
  CachedBody body;  // compressed once, at first use
  std::string etag;
};

const std::vector<PreparedAsset>& prepared_assets() {
  static const std::vector<PreparedAsset> prepared = [] {
    std::vector<PreparedAsset> out;
    for (const Asset& a : embedded_assets()) {
      char etag[24];
      std::snprintf(etag, sizeof etag, "\"%016zx\"", std::hash<std::string_view>{}(a.body));
      out.push_back({&a, CachedBody::of(std::string(a.body)), etag});
    }
    return out;
  }();
  return prepared;
}

}  // namespace

awaitable<Response> web_asset(Api&, Request& req) {
  for (const PreparedAsset& p : prepared_assets()) {
    const Asset& a = *p.asset;
    if (a.path != req.path) continue;
    if (etag_matches(req.if_none_match, p.etag)) {
      co_return not_modified(req, p.etag, p.body.gzip != nullptr);
    }
    // Assets are static for the life of the binary: cache them, revalidate by ETag.
    Response r = cached_response(200, p.body);
    r.content_type = std::string(a.content_type);
    r.header("ETag", p.etag)
        .header("Cache-Control", a.path == "/" ? "no-cache" : "public, max-age=300");
    if (a.content_type.rfind("text/html", 0) == 0)
      r.header("Content-Security-Policy",
               "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
               "connect-src 'self'; "
               "frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
          .header("X-Content-Type-Options", "nosniff");
    co_return r;
  }
  co_return problem_response(Error::not_found("no such page"));
}

}  // namespace boxoffice::http::handlers

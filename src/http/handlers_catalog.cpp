#include "http/bodies.hpp"
#include "http/handler_support.hpp"
#include "http/handlers.hpp"
#include "http/input.hpp"
#include "services/catalog.hpp"
#include "services/views.hpp"

namespace boxoffice::http::handlers {

awaitable<Response> create_movie(Api& api, Request& req) {
  BOXOFFICE_TRY(caller, require_admin(co_await api.accounts.authenticate(req.authorization)));
  BOXOFFICE_TRY(body, parse_movie(req));
  BOXOFFICE_TRY(movie, co_await api.catalog.create_movie(std::move(*body)));
  co_return json_of(201, views::movie(*movie))
      .header("Location", "/api/v1/movies/" + std::to_string(movie->id));
}

awaitable<Response> list_movies(Api& api, Request& req) {
  BOXOFFICE_TRY(page, page_params(req));
  BOXOFFICE_TRY(bytes, co_await api.catalog.list_movies(page->after_id, page->limit));
  co_return cached_response(200, *bytes);
}

awaitable<Response> get_movie(Api& api, Request& req) {
  BOXOFFICE_TRY(id, path_id(req, 0, "movie"));
  BOXOFFICE_TRY(movie, co_await api.catalog.get_movie(*id));
  co_return json_of(200, views::movie(*movie));
}

awaitable<Response> patch_movie(Api& api, Request& req) {
  BOXOFFICE_TRY(caller, require_admin(co_await api.accounts.authenticate(req.authorization)));
  BOXOFFICE_TRY(id, path_id(req, 0, "movie"));
  BOXOFFICE_TRY(patch, parse_movie_patch(req));
  BOXOFFICE_TRY(movie, co_await api.catalog.update_movie(*id, std::move(*patch)));
  co_return json_of(200, views::movie(*movie));
}

awaitable<Response> delete_movie(Api& api, Request& req) {
  BOXOFFICE_TRY(caller, require_admin(co_await api.accounts.authenticate(req.authorization)));
  BOXOFFICE_TRY(id, path_id(req, 0, "movie"));
  BOXOFFICE_TRY(done, co_await api.catalog.delete_movie(*id));
  co_return empty_response(204);
}

awaitable<Response> create_theater(Api& api, Request& req) {
  BOXOFFICE_TRY(caller, require_admin(co_await api.accounts.authenticate(req.authorization)));
  BOXOFFICE_TRY(body, parse_theater(req));
  BOXOFFICE_TRY(theater, co_await api.catalog.create_theater(std::move(*body)));
  co_return json_of(201, views::theater(*theater))
      .header("Location", "/api/v1/theaters/" + std::to_string(theater->id));
}

awaitable<Response> list_theaters(Api& api, Request& req) {
  BOXOFFICE_TRY(page, page_params(req));
  BOXOFFICE_TRY(bytes, co_await api.catalog.list_theaters(page->after_id, page->limit));
  co_return cached_response(200, *bytes);
}

awaitable<Response> get_theater(Api& api, Request& req) {
  BOXOFFICE_TRY(id, path_id(req, 0, "theater"));
  BOXOFFICE_TRY(theater, co_await api.catalog.get_theater(*id));
  co_return json_of(200, views::theater(*theater));
}

awaitable<Response> create_show(Api& api, Request& req) {
  BOXOFFICE_TRY(caller, require_admin(co_await api.accounts.authenticate(req.authorization)));
  BOXOFFICE_TRY(body, parse_show(req));
  BOXOFFICE_TRY(show, co_await api.catalog.create_show(std::move(*body)));
  co_return json_of(201, views::show(*show))
      .header("Location", "/api/v1/shows/" + std::to_string(show->id));
}

awaitable<Response> list_shows(Api& api, Request& req) {
  BOXOFFICE_TRY(filter, parse_show_filter(req));
  BOXOFFICE_TRY(bytes, co_await api.catalog.list_shows(*filter));
  co_return cached_response(200, *bytes);
}

awaitable<Response> get_show(Api& api, Request& req) {
  BOXOFFICE_TRY(id, path_id(req, 0, "show"));
  BOXOFFICE_TRY(show, co_await api.catalog.get_show(*id));
  co_return json_of(200, views::show(*show));
}

}  // namespace boxoffice::http::handlers

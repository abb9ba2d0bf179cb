#include "http/api.hpp"
#include "http/handlers.hpp"

namespace boxoffice::http {

std::vector<Route> api_routes() {
  using M = Method;
  namespace h = handlers;
  return {
      {M::post, "/api/v1/users", h::create_user},
      {M::get, "/api/v1/users/me", h::get_me},
      {M::post, "/api/v1/sessions", h::create_session},
      {M::del, "/api/v1/sessions/current", h::delete_session},
      {M::post, "/api/v1/movies", h::create_movie},
      {M::get, "/api/v1/movies", h::list_movies},
      {M::get, "/api/v1/movies/{id}", h::get_movie},
      {M::patch, "/api/v1/movies/{id}", h::patch_movie},
      {M::del, "/api/v1/movies/{id}", h::delete_movie},
      {M::post, "/api/v1/theaters", h::create_theater},
      {M::get, "/api/v1/theaters", h::list_theaters},
      {M::get, "/api/v1/theaters/{id}", h::get_theater},
      {M::post, "/api/v1/shows", h::create_show},
      {M::get, "/api/v1/shows", h::list_shows},
      {M::get, "/api/v1/shows/{id}", h::get_show},
      {M::get, "/api/v1/shows/{id}/seats", h::get_seats},
      {M::get, "/api/v1/shows/{id}/live", h::live_upgrade, true},
      {M::post, "/api/v1/shows/{id}/holds", h::create_hold},
      {M::get, "/api/v1/holds", h::list_holds},
      {M::del, "/api/v1/holds/{hold_id}", h::delete_hold},
      {M::post, "/api/v1/bookings", h::create_booking},
      {M::get, "/api/v1/bookings", h::list_bookings},
      {M::get, "/api/v1/bookings/{id}", h::get_booking},
      {M::post, "/api/v1/bookings/{id}/cancel", h::cancel_booking},
      {M::get, "/healthz", h::healthz},
      {M::get, "/readyz", h::readyz},
      {M::get, "/metrics", h::metrics},
      {M::get, "/", h::web_asset},
      {M::get, "/openapi.yaml", h::web_asset},
      {M::get, "/static/{file}", h::web_asset},
  };
}

}  // namespace boxoffice::http

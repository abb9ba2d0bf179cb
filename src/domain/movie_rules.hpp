#pragma once
#include <vector>

#include "domain/models.hpp"
#include "domain/result.hpp"

namespace boxoffice {

// Field errors of a movie (title, description, duration, rating, genres); empty when valid.
std::vector<FieldError> check_movie(const Movie& m);
std::vector<FieldError> check_movie_patch(const MoviePatch& p);

}  // namespace boxoffice

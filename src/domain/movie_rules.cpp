#include "domain/movie_rules.hpp"

#include "domain/text.hpp"
#include "domain/validation.hpp"

namespace boxoffice {
namespace {

constexpr std::size_t kMaxTitle = 200;
constexpr std::size_t kMaxDescription = 5000;
constexpr std::size_t kMaxRating = 16;
constexpr std::size_t kMaxGenres = 20;
constexpr std::size_t kMaxGenre = 50;
constexpr int kMaxDuration = 1000;

void check_text(std::vector<FieldError>& errors, const char* field, const std::string& v,
                std::size_t min, std::size_t max) {
  if (v.size() < min || v.size() > max || !valid_text(v))
    errors.push_back({field, "must be " + std::to_string(min) + " to " + std::to_string(max) +
                                 " characters of text"});
}

// A title is what lists show: one of only white space or invisible characters shows nothing.
void check_title(std::vector<FieldError>& errors, const std::string& title) {
  check_text(errors, "title", title, 1, kMaxTitle);
  if (!title.empty() && text::is_blank(title)) errors.push_back({"title", "must not be blank"});
}

void check_duration(std::vector<FieldError>& errors, int minutes) {
  if (minutes < 1 || minutes > kMaxDuration)
    errors.push_back({"duration_minutes", "must be between 1 and " + std::to_string(kMaxDuration)});
}

void check_genres(std::vector<FieldError>& errors, const std::vector<std::string>& genres) {
  if (genres.size() > kMaxGenres) errors.push_back({"genres", "at most 20 genres"});
  for (std::size_t i = 0; i < genres.size(); ++i)
    if (genres[i].empty() || genres[i].size() > kMaxGenre || !valid_text(genres[i]))
      errors.push_back({"genres[" + std::to_string(i) + "]", "must be 1 to 50 characters of text"});
}

}  // namespace

std::vector<FieldError> check_movie(const Movie& m) {
  std::vector<FieldError> errors;
  check_title(errors, m.title);
  check_text(errors, "description", m.description, 0, kMaxDescription);
  check_duration(errors, m.duration_minutes);
  check_text(errors, "rating", m.rating, 1, kMaxRating);
  check_genres(errors, m.genres);
  return errors;
}

std::vector<FieldError> check_movie_patch(const MoviePatch& p) {
  std::vector<FieldError> errors;
  if (p.title) check_title(errors, *p.title);
  if (p.description) check_text(errors, "description", *p.description, 0, kMaxDescription);
  if (p.duration_minutes) check_duration(errors, *p.duration_minutes);
  if (p.rating) check_text(errors, "rating", *p.rating, 1, kMaxRating);
  if (p.genres) check_genres(errors, *p.genres);
  return errors;
}

}  // namespace boxoffice

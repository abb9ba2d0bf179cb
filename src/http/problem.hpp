#pragma once
#include "domain/result.hpp"
#include "http/message.hpp"

namespace boxoffice::http {

inline constexpr std::string_view kProblemBase = "https://boxoffice.dev/problems/";

std::string_view status_title(int status);
// RFC 9457 problem+json for a typed error, with the extra members the API names.
Response problem_response(const Error& e);

}  // namespace boxoffice::http

#include "domain/models.hpp"

namespace boxoffice {

std::string_view role_name(Role r) {
  return r == Role::admin ? "admin" : "customer";
}

std::string_view booking_status_name(BookingStatus s) {
  return s == BookingStatus::confirmed ? "confirmed" : "cancelled";
}

}  // namespace boxoffice

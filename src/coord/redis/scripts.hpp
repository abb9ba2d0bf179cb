#pragma once
// The Lua scripts of the Redis coordinator (Redis 7, Lua 5.1, cjson), as text.
namespace boxoffice::redis_scripts {

const char* seat();
const char* due_index();
const char* delete_if_owner();
const char* bump_generation();

}  // namespace boxoffice::redis_scripts
